// The small parsers every request goes through: money, timestamps, dates, UUIDs, versions,
// If-Match, request targets with their query strings, and signed statements of the log
// head (folio verify --expect). Each must answer (nullopt or a value) for any bytes, and
// what it accepts must come back unchanged through its formatter.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "commands/validation.h"
#include "events/timestamp.h"
#include "http/request_parsing.h"
#include "projections/money.h"
#include "store/signed_head.h"

using namespace folio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto cents = projections::parse_money(text)) {
    // Accepted money has exactly one canonical spelling, which parses to the same cents.
    const std::string canonical = projections::format_money(*cents);
    if (projections::parse_money(canonical) != cents) std::abort();
  }
  if (const auto at = events::parse_timestamp(text)) {
    if (events::parse_timestamp(events::format_timestamp(*at)) != at) std::abort();
  }
  if (commands::is_date(text) && !events::parse_timestamp(text)) std::abort();
  if (commands::is_uuid(text) && text.size() != 36) std::abort();
  if (const auto version = http::parse_version_text(text); version && *version < 1) std::abort();
  if (const auto version = http::parse_if_match(text); version && *version < 1) std::abort();

  const http::Target target = http::parse_target(text);
  for (const auto& segment : target.segments) {
    // Empty segments are dropped; one that does not decode is "" and marks the target.
    if (segment.empty() && !target.malformed) std::abort();
  }
  for (const auto& [key, value] : target.query) {
    // No query name or value holds a NUL: no database column could store it.
    if (key.find('\0') != key.npos || value.find('\0') != value.npos) std::abort();
  }

  std::string error;
  const std::string line(text);
  if (const auto statement = store::parse_head_statement(line, error)) {
    if (statement->head.running_hash.size() != 64 || statement->head.position < 0) std::abort();
  } else if (error.empty()) {
    std::abort();  // a refusal always says why
  }
  // No bytes carry a valid signature of a key they were not signed with.
  static const store::PublicKey key = store::generate_key_pair().public_key;
  if (store::head_statement_signed_by(line, key)) std::abort();
  return 0;
}
