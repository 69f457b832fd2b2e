// Parsing of FOLIO_DB-style database URLs.
#pragma once

#include <string>

namespace folio::store {

struct DatabaseUrl {
  enum class Kind { sqlite, postgresql };
  Kind kind = Kind::sqlite;
  // sqlite: the file path; postgresql: the whole URL, as libpq accepts it.
  std::string target;
};

// Accepts sqlite:///abs/path, sqlite://rel/path, sqlite:rel/path, postgresql://...,
// postgres://... Throws std::invalid_argument with a readable message otherwise.
DatabaseUrl parse_database_url(const std::string& url);

// The URL with any password replaced by "***", safe to log.
std::string redact_database_url(const std::string& url);

}  // namespace folio::store
