#include "commands/subject_keys.h"

#include <algorithm>

#include "events/payload_codec.h"
#include "events/sealed_value.h"

namespace folio::commands {

namespace {

constexpr const char* kMakeKey =
    "INSERT INTO subject_keys (stream_id, subject_key) VALUES ($1, $2)"
    " ON CONFLICT (stream_id) DO NOTHING";
constexpr const char* kReadKey = "SELECT subject_key FROM subject_keys WHERE stream_id = $1";

bool has_personal_fields(const events::EntitySpec& spec) {
  return std::any_of(spec.fields.begin(), spec.fields.end(),
                     [](const auto& field) { return field.personal; });
}

}  // namespace

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
  if (!has_personal_fields(spec) || event.payload.empty()) return event;
  auto changes = events::decode_payload<events::EntityChanges>(event.payload);
  const bool any = std::any_of(changes.fields.begin(), changes.fields.end(), [&](const auto& f) {
    const auto* field = spec.field(f.first);
    return field && field->personal && std::holds_alternative<std::string>(f.second);
  });
  if (!any) return event;  // e.g. a user's is_active alone: no key needed
  events::seal_personal_fields(spec, subject_key_for(tx, stream_id), stream_id, changes.fields);
  return {event.event_type, event.schema_version, events::encode_payload(changes)};
}

}  // namespace folio::commands
