#include "commands/decide.h"

#include "events/payload_codec.h"
#include "events/sealed_value.h"
#include "projections/fold.h"

namespace folio::commands {

namespace {

bool write_only(const EntitySpec& spec, const std::string& name) {
  const auto* field = spec.field(name);
  return field && field->kind == events::FieldKind::password;
}

events::NewEvent make_event(std::string type, const FieldMap& fields) {
  return events::NewEvent{std::move(type), 1, events::encode_payload(events::EntityChanges{fields})};
}

}  // namespace

events::NewEvent decide_create(const EntitySpec& spec, const FieldMap& fields) {
  FieldMap stored;
  for (const auto& [name, value] : fields) {
    if (!write_only(spec, name) && !events::is_null(value)) stored.emplace(name, value);
  }
  return make_event(projections::created_event(spec), stored);
}

FieldMap changed_fields(const EntitySpec& spec, const FieldMap& current,
                        const FieldMap& requested) {
  FieldMap changes;
  for (const auto& [name, value] : requested) {
    if (write_only(spec, name)) continue;
    const auto it = current.find(name);
    const bool was_set = it != current.end() && !events::is_null(it->second);
    if (events::is_null(value) ? was_set : (!was_set || it->second != value)) {
      changes.emplace(name, value);
    }
  }
  return changes;
}

events::NewEvent decide_update(const EntitySpec& spec, const FieldMap& changes) {
  return make_event(projections::updated_event(spec), changes);
}

events::NewEvent decide_delete(const EntitySpec& spec) {
  return make_event(projections::deleted_event(spec), {});
}

events::NewEvent decide_erase(const EntitySpec& spec, const FieldMap& current,
                              const std::string& reason) {
  FieldMap fields{{"erasure_reason", reason}};
  for (const auto& field : spec.fields) {
    if (field.personal && current.count(std::string(field.name))) {
      fields.emplace(field.name, std::string(events::kErasedMarker));
    }
  }
  if (spec.type == "user") fields.emplace("is_active", false);  // the person is gone
  return make_event(projections::erased_event(spec), fields);
}

EntityState state_after(const EntitySpec& spec, const EntityState& current,
                        const events::NewEvent& event, const std::string& recorded_at) {
  events::RecordedEvent recorded;
  recorded.stream_version = current.version + 1;
  recorded.event_type = event.event_type;
  recorded.payload = event.payload;
  recorded.recorded_at = recorded_at;
  EntityState next = current;
  projections::apply_event(spec, next, recorded);
  return next;
}

}  // namespace folio::commands
