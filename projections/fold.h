// Folding an entity's events into its state, and its history as per-field changes.
// The same code serves the inline projection, state-at-version queries, conflict bodies
// (changes since) and rebuilds, so a read-model row always equals the fold of its stream.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "events/envelope.h"
#include "projections/entity_state.h"

namespace folio::projections {

struct FieldChange {
  FieldValue from;
  FieldValue to;
  bool operator==(const FieldChange&) const = default;
};

struct HistoryEntry {
  std::int64_t version = 0;
  std::string event_type;
  std::string recorded_at;
  std::string user_id;
  std::string request_id;
  std::map<std::string, FieldChange> changes;
};

// Applies one event of the entity's stream to `state` (which must be at version - 1).
// Throws events::PayloadDecodeError for undecodable payloads and std::runtime_error for an
// event type that does not belong to `spec`.
void apply_event(const EntitySpec& spec, EntityState& state, const events::RecordedEvent& event);

// The fields `event` set, decoded from its payload: all of them for a creation, the
// changed ones for an update (null = cleared), none for a deletion. Throws like apply_event.
FieldMap event_fields(const EntitySpec& spec, const events::RecordedEvent& event);

// The state after all of `events` (the entity's stream, in order, from version 1).
EntityState fold(const EntitySpec& spec, const std::string& id,
                 const std::vector<events::RecordedEvent>& events);

// One entry per event with the fields it changed (from -> to); oldest first. Entries for
// versions below `from_version` are computed (they are needed for the "from" values) but
// not returned.
std::vector<HistoryEntry> history(const EntitySpec& spec,
                                  const std::vector<events::RecordedEvent>& events,
                                  std::int64_t from_version = 1);

// Reads the events of one stream with from <= stream_version <= to, in order.
using StreamRangeReader =
    std::function<std::vector<events::RecordedEvent>(std::int64_t from, std::int64_t to)>;

// history(spec, <the whole stream>, from_version) restricted to versions up to `to_version`,
// reading only the events it needs: those from `from_version`, and before them back to the
// last event that set each field they change (or to the entity's creation), in windows that
// grow by 4x. A conflict on an entity with a long history then costs what changed since,
// not the length of the stream.
std::vector<HistoryEntry> history_since(const EntitySpec& spec, std::int64_t from_version,
                                        std::int64_t to_version, const StreamRangeReader& read);
// history_since's first read: from `from_version` minus this (at least 1) to `to_version`.
inline constexpr std::int64_t kHistoryFirstWindow = 8;

}  // namespace folio::projections
