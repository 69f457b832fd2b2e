// SQL fragments of the event store on PostgreSQL that more than one statement builds on
// (pg_transaction.cpp's one-statement writes, pg_merged_writes.cpp's merged ones), so that
// the append lock, the position and the hash chain are written once.
#pragma once

// Positions come from a sequence, taken under a shared advisory lock held until commit.
// Readers of the log never request that lock: it marks the appends in flight for them to
// wait for (read_all). Appends never wait for each other or for a reader. (Migration
// 0001's comment describes the first reader, which took the lock exclusively and so held
// every append back while it waited.) The key is per schema, so separate Folio schemas on
// one server never mix.
#define FOLIO_LOG_LOCK_KEY "hashtextextended('folio_global_log:' || current_schema(), 0)"
// The shared log lock, taken once if SOURCE has rows, before any position is.
#define FOLIO_LOG_LOCK(SOURCE) \
  " appending AS (SELECT pg_advisory_xact_lock_shared(" FOLIO_LOG_LOCK_KEY ") FROM " SOURCE ")"
// The columns an event row is inserted with, in the order FOLIO_EVENT_VALUES gives them.
#define FOLIO_EVENT_COLUMNS                                                      \
  " INSERT INTO events (global_position, stream_id, stream_version, event_type," \
  " schema_version, payload, recorded_at, user_id, request_id, command_id, event_hash)"
// An event of stream STREAM at version VERSION (SQL expressions): its position, then the
// values REST (event type, schema version, payload, recorded_at, user, request, command id),
// then store/event_hash.h's chain_hash() of the previous event's hash (zeros at a chain's
// start) and the canonical bytes CANONICAL the caller computed.
#define FOLIO_EVENT_VALUES(STREAM, VERSION, REST, CANONICAL)                                \
  " SELECT nextval('events_global_position_seq'), " STREAM ", " VERSION ", " REST           \
  ","                                                                                       \
  " encode(sha256(coalesce(decode((SELECT event_hash FROM events WHERE stream_id = " STREAM \
  " AND stream_version = " VERSION                                                          \
  " - 1), 'hex'), decode(repeat('0', 64), 'hex'))"                                          \
  " || " CANONICAL "), 'hex')"
