// The append algorithm shared by both SQL backends. Each backend supplies the primitive
// statements; the order of steps (and so the atomicity argument) lives here once:
//
//   1. bump the stream row with the version check in its WHERE clause (and "no earlier
//      append carried this command id"); 0 rows changed means the expectation failed;
//   2. on failure only, look up the command id (-> duplicate) or the actual version;
//   3. insert the events, each taking the next global position and chaining its hash to
//      the previous event of the stream inside the same INSERT (see store/event_hash.h):
//      the stream's row lock from step 1 makes that previous event final.
// The bump's row lock serializes concurrent appends to one stream until commit.
#pragma once

#include <optional>

#include "store/event_store.h"

namespace folio::store {

// append_with's refusal when the row changed but the stream check failed.
inline constexpr const char* kRowAndStreamDisagree =
    "a read-model row and its event stream disagree (a write bypassed Folio)";

class SqlTransaction : public Transaction {
 public:
  AppendResult append(const std::string& stream_id, ExpectedVersion expected,
                      std::span<const NewEvent> events, const EventMetadata& metadata) final;
  AppendResult append_with(const std::string& stream_id, ExpectedVersion expected,
                           const NewEvent& event, const EventMetadata& metadata,
                           const WriteAlong& along) final;

  struct PriorAppend {
    std::int64_t last_version = 0;
    std::int64_t first_position = 0;
    std::int64_t last_position = 0;
  };

 protected:
  // The answer to an append whose expectation failed: the earlier append with the same
  // command id (duplicate), else version_mismatch with the stream's version.
  AppendResult failed_append(const std::string& stream_id, const std::string& command_id);
  // check_and_insert_one's answer as an append's (from an exact or no_stream expectation);
  // nullopt when the dialect has no such statement.
  std::optional<AppendResult> in_one_statement(const std::string& stream_id,
                                               const std::string& entity_type,
                                               ExpectedVersion expected, const NewEvent& event,
                                               const std::string& recorded_at,
                                               const EventMetadata& metadata,
                                               const WriteAlong* along);

  // UPDATE streams SET version = expected + count WHERE version = expected AND the command
  // id was not used in this stream. True when the row changed.
  virtual bool bump_stream(const std::string& stream_id, std::int64_t expected, std::int64_t count,
                           const std::string& command_id) = 0;
  // INSERT the stream row at version `count` unless it exists. True when inserted.
  virtual bool create_stream(const std::string& stream_id, const std::string& entity_type,
                             std::int64_t count) = 0;
  // Inserts or bumps the stream row by `count` without a check; returns the new version.
  virtual std::int64_t force_bump_stream(const std::string& stream_id,
                                         const std::string& entity_type, std::int64_t count) = 0;
  // The earlier append to this stream that carried `command_id`, if any.
  virtual std::optional<PriorAppend> find_command(const std::string& stream_id,
                                                  const std::string& command_id) = 0;
  // The stream check and the insert of one event in a single statement, where the dialect
  // has one (PostgreSQL: one round trip instead of two): bumps the stream from `expected`
  // to expected + 1 (as bump_stream, command id included), or creates it at version 1 when
  // `expected` is 0 (as create_stream), and inserts `event` as that version (as
  // insert_event, its hash input canonical_event_bytes() of that version). With `along`,
  // that write too, and the stream check only if it changed its row. Returns the event's
  // position; 0 when a check failed and nothing was written; nullopt when the dialect does
  // not do this (then nothing happened either).
  virtual std::optional<std::int64_t> check_and_insert_one(
      const std::string& /*stream_id*/, const std::string& /*entity_type*/,
      std::int64_t /*expected*/, const NewEvent& /*event*/, const std::string& /*recorded_at*/,
      const EventMetadata& /*metadata*/, const WriteAlong* /*along*/) {
    return std::nullopt;
  }
  // Inserts one event at the next global position; returns that position. The same
  // statement stores event_hash = chain_hash(hash of event stream_version - 1, if any,
  // `canonical`), in hex; `canonical` is canonical_event_bytes() of this event.
  virtual std::int64_t insert_event(const std::string& stream_id, std::int64_t stream_version,
                                    const NewEvent& event, const std::string& recorded_at,
                                    const EventMetadata& metadata, std::string_view canonical) = 0;
};

}  // namespace folio::store
