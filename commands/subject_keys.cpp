#include "commands/subject_keys.h"

#include <algorithm>

#include "events/payload_codec.h"
#include "events/sealed_value.h"
#include "projections/entity_state.h"

namespace folio::commands {

namespace {

constexpr const char* kMakeKey =
    "INSERT INTO subject_keys (stream_id, subject_key) VALUES ($1, $2)"
    " ON CONFLICT (stream_id) DO NOTHING";
constexpr const char* kReadKey = "SELECT subject_key FROM subject_keys WHERE stream_id = $1";

constexpr const char* kForgetKey = "DELETE FROM subject_keys WHERE stream_id = $1";
// An answer mentions the entity by its id (a UUID: no LIKE wildcard in it).
constexpr const char* kForgetAnswers =
    "DELETE FROM idempotency_keys WHERE response_body LIKE '%' || $1 || '%'";
constexpr const char* kForgetLoginFailures = "DELETE FROM login_failures WHERE throttle_key = $1";
constexpr const char* kForgetPassword = "DELETE FROM user_credentials WHERE user_id = $1";
constexpr const char* kForgetTokens = "DELETE FROM auth_tokens WHERE user_id = $1";

}  // namespace

void forget_subject(store::Transaction& tx, const events::EntitySpec& spec, const std::string& id,
                    const std::string& username) {
  const std::vector<store::SqlValue> stream{projections::stream_id_of(spec, id)};
  tx.execute(kForgetKey, stream);
  const std::vector<store::SqlValue> entity{id};
  tx.execute(kForgetAnswers, entity);
  if (spec.type != "user") return;
  tx.execute(kForgetPassword, entity);
  tx.execute(kForgetTokens, entity);
  const std::vector<store::SqlValue> failures{login_failure_key(username)};
  tx.execute(kForgetLoginFailures, failures);
}

std::string login_failure_key(const std::string& username) {
  std::string key = "user:" + username.substr(0, username.find('\0'));
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return key;
}

std::vector<std::string> tables_holding_subjects(const events::EntitySpec& spec) {
  std::vector<std::string> tables{std::string(spec.table), "subject_keys", "idempotency_keys"};
  if (spec.type == "user") {
    tables.insert(tables.end(), {"user_credentials", "auth_tokens", "login_failures"});
  }
  return tables;
}

std::string subject_key_for(store::Transaction& tx, const std::string& stream_id) {
  const std::vector<store::SqlValue> made{stream_id, events::new_subject_key()};
  tx.execute(kMakeKey, made);
  const auto rows = tx.query(kReadKey, std::span(&made[0], 1));
  if (rows.empty() || !std::holds_alternative<std::string>(rows[0][0])) {
    throw std::runtime_error("no data-subject key for " + stream_id);
  }
  return std::get<std::string>(rows[0][0]);
}

events::NewEvent with_personal_fields_sealed(store::Transaction& tx, const events::EntitySpec& spec,
                                             const std::string& stream_id,
                                             const events::NewEvent& event) {
  if (!spec.has_personal_fields() || event.payload.empty()) return event;
  auto changes = events::decode_payload<events::EntityChanges>(event.payload);
  const bool any = std::any_of(changes.fields.begin(), changes.fields.end(), [&](const auto& f) {
    return events::needs_sealing(spec, f.first, f.second);
  });
  if (!any) return event;  // e.g. a user's is_active alone: no key needed
  events::seal_personal_fields(spec, subject_key_for(tx, stream_id), stream_id, changes.fields);
  return {event.event_type, event.schema_version, events::encode_payload(changes)};
}

}  // namespace folio::commands
