#include "projections/fold.h"

#include <stdexcept>

#include "events/payload_codec.h"

namespace folio::projections {

namespace {

enum class EventKind { created, updated, deleted };

EventKind kind_of(const EntitySpec& spec, const std::string& event_type) {
  const std::string_view prefix = spec.event_prefix;
  if (event_type.size() > prefix.size() && event_type.compare(0, prefix.size(), prefix) == 0) {
    const std::string_view suffix = std::string_view(event_type).substr(prefix.size());
    if (suffix == "Created") return EventKind::created;
    if (suffix == "Updated") return EventKind::updated;
    if (suffix == "Deleted") return EventKind::deleted;
  }
  throw std::runtime_error("event type '" + event_type + "' does not belong to entity type '" +
                           std::string(spec.type) + "'");
}

}  // namespace

void apply_event(const EntitySpec& spec, EntityState& state,
                 const events::RecordedEvent& event) {
  const EventKind kind = kind_of(spec, event.event_type);
  if (kind == EventKind::created) {
    state.fields.clear();
    state.created_at = event.recorded_at;
  }
  if (kind == EventKind::deleted) {
    state.deleted = true;
  } else {
    const auto changes = events::decode_payload<events::EntityChanges>(event.payload);
    for (const auto& [name, value] : changes.fields) {
      if (events::is_null(value)) {
        state.fields.erase(name);  // a cleared optional field is absent, as in the read model
      } else {
        state.fields[name] = value;
      }
    }
    update_derived_fields(spec, state.fields);
  }
  state.version = event.stream_version;
  state.updated_at = event.recorded_at;
}

EntityState fold(const EntitySpec& spec, const std::string& id,
                 const std::vector<events::RecordedEvent>& events) {
  EntityState state;
  state.id = id;
  for (const auto& event : events) apply_event(spec, state, event);
  return state;
}

std::vector<HistoryEntry> history(const EntitySpec& spec,
                                  const std::vector<events::RecordedEvent>& events,
                                  std::int64_t from_version) {
  std::vector<HistoryEntry> entries;
  EntityState state;
  for (const auto& event : events) {
    const FieldMap before = state.fields;
    apply_event(spec, state, event);
    if (event.stream_version < from_version) continue;
    HistoryEntry& entry = entries.emplace_back();
    entry.version = event.stream_version;
    entry.event_type = event.event_type;
    entry.recorded_at = event.recorded_at;
    entry.user_id = event.metadata.user_id;
    entry.request_id = event.metadata.request_id;
    if (state.deleted) continue;
    const auto changes = events::decode_payload<events::EntityChanges>(event.payload);
    for (const auto& [name, value] : changes.fields) {
      const auto old = before.find(name);
      entry.changes[name] = {old == before.end() ? FieldValue{} : old->second, value};
    }
  }
  return entries;
}

}  // namespace folio::projections
