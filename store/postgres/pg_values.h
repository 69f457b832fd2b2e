// What the PostgreSQL store's libpqxx transactions and its raw libpq connections (group
// commit, the statement pipe) share about statements, parameters and results.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/event_store.h"

struct pg_result;  // libpq's PGresult

namespace folio::store::postgres {

// Owns a libpq result (PQclear when it goes).
struct PgResultDeleter {
  void operator()(::pg_result* result) const;
};
using PgResult = std::unique_ptr<::pg_result, PgResultDeleter>;

// The prepared-statement name of a statement given by its text: the same text, the same
// name on every connection, so a connection prepares each text once.
inline std::string statement_name(std::string_view sql) {
  return "g" + std::to_string(std::hash<std::string_view>{}(sql));
}

// Result columns of these types become SqlValue integers; every other type, text.
inline bool is_integer_oid(unsigned type) { return type == 20 || type == 21 || type == 23; }

// SqlValues as libpq's text parameters (NULL for monostate); valid while this lives.
class TextParams {
 public:
  explicit TextParams(std::span<const SqlValue> params) {
    texts_.reserve(params.size());
    values_.reserve(params.size());
    for (const auto& p : params) {
      if (const auto* n = std::get_if<std::int64_t>(&p)) {
        texts_.push_back(std::to_string(*n));
        values_.push_back(texts_.back().c_str());
      } else if (const auto* t = std::get_if<std::string>(&p)) {
        refuse_nul(*t);  // libpq reads text up to its NUL
        values_.push_back(t->c_str());
      } else {
        values_.push_back(nullptr);
      }
    }
  }
  const std::vector<const char*>& values() const { return values_; }

 private:
  std::vector<std::string> texts_;  // reserved: pointers into it stay valid
  std::vector<const char*> values_;
};

}  // namespace folio::store::postgres
