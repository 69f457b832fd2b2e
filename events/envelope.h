// The event envelope: what the store records around every payload.
#pragma once

#include <cstdint>
#include <string>

namespace folio::events {

// Who caused an append and on whose behalf. Recorded on every event of the append.
struct EventMetadata {
  std::string user_id;     // acting user's id; empty for system work (imports, migrations)
  std::string request_id;  // the HTTP X-Request-Id or a CLI-generated id
  std::string command_id;  // idempotency key; empty = the append is not idempotent
  // The event time to record (RFC 3339, see timestamp.h); empty = the store's clock at
  // append. A command handler sets it so read models and events carry the same instant.
  std::string recorded_at;

  bool operator==(const EventMetadata&) const = default;
};

// An event about to be appended. `payload` is opaque bytes (cereal portable binary);
// it may contain NUL bytes.
struct NewEvent {
  std::string event_type;      // past tense, e.g. "ProjectUpdated"
  std::int32_t schema_version = 1;  // class version of the payload type that wrote it
  std::string payload;
};

// An event as stored.
struct RecordedEvent {
  std::string stream_id;         // "<entity_type>-<uuid>"
  std::int64_t stream_version = 0;  // 1-based position inside its stream
  std::int64_t global_position = 0; // strictly increasing over the whole store
  std::string event_type;
  std::int32_t schema_version = 1;
  std::string payload;
  std::string recorded_at;  // RFC 3339 UTC with milliseconds, e.g. 2026-11-28T08:15:00.123Z
  EventMetadata metadata;
  // The stream's data-subject key (hex) that opens its sealed personal values
  // (events/sealed_value.h); empty when it has none or it was erased. Not part of the event:
  // read beside it from subject_keys, never hashed, exported or logged.
  std::string subject_key;

  bool operator==(const RecordedEvent&) const = default;
};

// The entity type a stream id names: the part before the first '-'
// ("project_phase-0193..." -> "project_phase"). Empty when there is no '-'.
std::string entity_type_of_stream(const std::string& stream_id);

}  // namespace folio::events
