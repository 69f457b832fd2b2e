#include "projections/fold.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <stdexcept>

#include "events/payload_codec.h"
#include "events/sealed_value.h"

namespace folio::projections {

namespace {

enum class EventKind { created, updated, deleted, erased };

EventKind kind_of(const EntitySpec& spec, const std::string& event_type) {
  const std::string_view prefix = spec.event_prefix;
  if (event_type.size() > prefix.size() && event_type.compare(0, prefix.size(), prefix) == 0) {
    const std::string_view suffix = std::string_view(event_type).substr(prefix.size());
    if (suffix == "Created") return EventKind::created;
    if (suffix == "Updated") return EventKind::updated;
    if (suffix == "Deleted") return EventKind::deleted;
    if (suffix == "Erased") return EventKind::erased;
  }
  throw std::runtime_error("event type '" + event_type + "' does not belong to entity type '" +
                           std::string(spec.type) + "'");
}

// Applies `event` whose payload (none for a deletion) is already decoded into `changes`.
void apply_decoded(const EntitySpec& spec, EntityState& state, const events::RecordedEvent& event,
                   EventKind kind, const events::EntityChanges& changes) {
  if (kind == EventKind::created) {
    state.fields.clear();
    state.created_at = event.recorded_at;
  }
  if (kind == EventKind::deleted) {
    state.deleted = true;
  } else {
    for (const auto& [name, value] : changes.fields) {
      // An erasure's reason is not a field of the entity.
      if (kind == EventKind::erased && !spec.field(name)) continue;
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

events::EntityChanges decode_changes(EventKind kind, const events::RecordedEvent& event) {
  if (kind == EventKind::deleted) return {};
  auto changes = events::decode_payload<events::EntityChanges>(event.payload);
  events::open_sealed_fields(event.subject_key, event.stream_id, changes.fields);
  return changes;
}

}  // namespace

void apply_event(const EntitySpec& spec, EntityState& state,
                 const events::RecordedEvent& event) {
  const EventKind kind = kind_of(spec, event.event_type);
  apply_decoded(spec, state, event, kind, decode_changes(kind, event));
}

FieldMap event_fields(const EntitySpec& spec, const events::RecordedEvent& event) {
  return decode_changes(kind_of(spec, event.event_type), event).fields;
}

EntityState fold(const EntitySpec& spec, const std::string& id,
                 const std::vector<events::RecordedEvent>& events) {
  EntityState state;
  state.id = id;
  for (const auto& event : events) apply_event(spec, state, event);
  return state;
}

namespace {

// An event of the stream (owned by the caller) with its payload decoded once.
struct DecodedEvent {
  const events::RecordedEvent* event;
  EventKind kind;
  events::EntityChanges changes;
};

std::vector<DecodedEvent> decoded_all(const EntitySpec& spec,
                                      const std::vector<events::RecordedEvent>& events) {
  std::vector<DecodedEvent> out;
  out.reserve(events.size());
  for (const auto& event : events) {
    const EventKind kind = kind_of(spec, event.event_type);
    out.push_back({&event, kind, decode_changes(kind, event)});
  }
  return out;
}

std::vector<HistoryEntry> history_of(const EntitySpec& spec,
                                     const std::vector<DecodedEvent>& stream,
                                     std::int64_t from_version) {
  std::vector<HistoryEntry> entries;
  EntityState state;
  for (const auto& [event_ptr, kind, changes] : stream) {
    const events::RecordedEvent& event = *event_ptr;
    if (event.stream_version >= from_version) {
      HistoryEntry& entry = entries.emplace_back();
      entry.version = event.stream_version;
      entry.event_type = event.event_type;
      entry.recorded_at = event.recorded_at;
      entry.user_id = event.metadata.user_id;
      entry.request_id = event.metadata.request_id;
      // A creation starts from nothing, whatever a replaced state held.
      for (const auto& [name, value] : changes.fields) {
        const auto old = state.fields.find(name);
        const bool had = kind != EventKind::created && old != state.fields.end();
        entry.changes[name] = {had ? old->second : FieldValue{}, value};
      }
    }
    apply_decoded(spec, state, event, kind, changes);
  }
  return entries;
}

}  // namespace

std::vector<HistoryEntry> history(const EntitySpec& spec,
                                  const std::vector<events::RecordedEvent>& events,
                                  std::int64_t from_version) {
  return history_of(spec, decoded_all(spec, events), from_version);
}

std::vector<HistoryEntry> history_since(const EntitySpec& spec, std::int64_t from_version,
                                        std::int64_t to_version, const StreamRangeReader& read) {
  from_version = std::max<std::int64_t>(from_version, 1);
  // One read for the usual case (a field edited again and again): the range and the few
  // events before it. On PostgreSQL every further window is a round trip.
  std::int64_t lo = std::max<std::int64_t>(1, from_version - kHistoryFirstWindow);
  // What was read, kept whole while `stream` points into it; each payload decoded once.
  std::vector<std::vector<events::RecordedEvent>> reads;
  auto stream = decoded_all(spec, reads.emplace_back(read(lo, to_version)));
  const auto first_reported = std::find_if(stream.begin(), stream.end(), [&](const auto& e) {
    return e.event->stream_version >= from_version;
  });
  if (first_reported == stream.end()) return {};
  // The fields whose "from" values lie before from_version: those changed before the first
  // creation in the range (a creation starts from nothing).
  std::set<std::string> needed;
  for (auto it = first_reported; it != stream.end() && it->kind != EventKind::created; ++it) {
    for (const auto& [name, value] : it->changes.fields) {
      // An erasure's reason is no field of the state: its "from" is always empty.
      if (it->kind != EventKind::erased || spec.field(name)) needed.insert(name);
    }
  }
  // Newest first: strikes off what each event before the range sets, until none is needed.
  const auto settle = [&](auto newest, auto oldest) {
    for (auto it = newest; it != oldest && !needed.empty(); ++it) {
      if (it->kind == EventKind::created) {
        needed.clear();
      } else {
        for (const auto& [name, value] : it->changes.fields) needed.erase(name);
      }
    }
  };
  settle(std::make_reverse_iterator(first_reported), stream.rend());
  for (std::int64_t window = kHistoryFirstWindow * 4; lo > 1 && !needed.empty(); window *= 4) {
    const std::int64_t hi = lo - 1;
    lo = std::max<std::int64_t>(1, hi - window + 1);
    auto older = decoded_all(spec, reads.emplace_back(read(lo, hi)));
    settle(older.rbegin(), older.rend());
    older.insert(older.end(), std::make_move_iterator(stream.begin()),
                 std::make_move_iterator(stream.end()));
    stream = std::move(older);
  }
  // The fold starts from an empty state: every field a reported entry reads was set (or
  // cleared by a creation) in the events before the range, so its "from" values are the
  // full fold's.
  return history_of(spec, stream, from_version);
}

}  // namespace folio::projections
