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

// A postgresql:// URL with `options` (for example "-c statement_timeout=30000") added to
// libpq's `options` parameter, before the URL's own options (which win where both set the
// same thing).
std::string with_postgres_options(const std::string& url, const std::string& options);

// The URL with any password replaced by "***", safe to log.
std::string redact_database_url(const std::string& url);

}  // namespace folio::store
