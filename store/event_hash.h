// Tamper evidence: the hash chain of each stream and the running hash over the global log.
//
// Every event stores event_hash = SHA-256(previous || canonical bytes of the event), where
// `previous` is the event_hash of the stream's previous event (32 zero bytes for the first
// event, and for the first event after events written before migration 0004, which have
// no hash). The canonical bytes are produced by canonical_event_bytes() alone, both when
// appending and when verifying, so the two can never disagree on the encoding.
//
// Seals (table log_seals) carry running_hash_k = SHA-256(running_hash_{k-1} || event_hash_k)
// over the hashed events in global-position order, running_hash_0 = 32 zero bytes.
//
// Hashes are stored as 64 lower-case hex characters (TEXT on both dialects).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "events/envelope.h"

namespace folio::store {

inline constexpr std::size_t kHashBytes = 32;

// The unambiguous encoding hashed for one event: a version tag, then stream_id,
// stream_version, event_type, schema_version, payload, recorded_at, user_id, request_id and
// command_id, each text or byte string prefixed with its length as 8 bytes big-endian,
// each integer as 8 bytes big-endian (two's complement). An empty command id and a missing
// one are the same value.
std::string canonical_event_bytes(std::string_view stream_id, std::int64_t stream_version,
                                  const events::NewEvent& event, std::string_view recorded_at,
                                  const events::EventMetadata& metadata);
std::string canonical_event_bytes(const events::RecordedEvent& event);

// SHA-256(previous || data) as 32 raw bytes. `previous` is 32 raw bytes, or empty for
// the start of a chain (then 32 zero bytes are hashed in its place).
std::string chain_hash(std::string_view previous, std::string_view data);

// Lower-case hex of raw bytes, and back. from_hex returns "" for anything that is not
// an even number of hex digits.
std::string to_hex(std::string_view bytes);
std::string from_hex(std::string_view hex);

}  // namespace folio::store
