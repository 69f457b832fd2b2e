#include "store/sql_transaction.h"

#include "events/timestamp.h"
#include "store/event_hash.h"

namespace folio::store {

namespace {
AppendResult duplicate_of(const SqlTransaction::PriorAppend& prior) {
  return AppendResult{AppendResult::Status::duplicate, prior.last_version, prior.first_position,
                      prior.last_position};
}

// The entity type of `stream_id`, once the arguments every append shares are checked.
std::string checked_entity_type(const std::string& stream_id, ExpectedVersion expected) {
  std::string entity_type = events::entity_type_of_stream(stream_id);
  if (entity_type.empty()) {
    throw StoreUsageError("stream id '" + stream_id + "' is not <entity_type>-<id>");
  }
  if (expected.kind() == ExpectedVersion::Kind::exact && expected.version() < 1) {
    throw StoreUsageError("exact expected version must be >= 1; use no_stream()");
  }
  return entity_type;
}
}  // namespace

// The expectation failed (nothing was written): a retried command, or a stale version.
AppendResult SqlTransaction::failed_append(const std::string& stream_id,
                                           const std::string& command_id) {
  if (!command_id.empty()) {
    if (auto prior = find_command(stream_id, command_id)) return duplicate_of(*prior);
  }
  return AppendResult{AppendResult::Status::version_mismatch, stream_version(stream_id), 0, 0};
}

AppendResult SqlTransaction::append(const std::string& stream_id, ExpectedVersion expected,
                                    std::span<const NewEvent> events,
                                    const EventMetadata& metadata) {
  const std::string entity_type = checked_entity_type(stream_id, expected);
  if (events.empty()) throw StoreUsageError("append to '" + stream_id + "' without events");
  const auto count = static_cast<std::int64_t>(events.size());
  const std::string& command_id = metadata.command_id;

  const std::string recorded_at =
      metadata.recorded_at.empty() ? events::now_timestamp() : metadata.recorded_at;
  if (expected.kind() != ExpectedVersion::Kind::any && count == 1) {
    // A command's usual append: checked and written in one statement where possible.
    if (auto done = in_one_statement(stream_id, entity_type, expected, events.front(), recorded_at,
                                     metadata, nullptr)) {
      return *done;
    }
  }

  std::int64_t new_version = 0;
  switch (expected.kind()) {
    case ExpectedVersion::Kind::exact:
      if (bump_stream(stream_id, expected.version(), count, command_id)) {
        new_version = expected.version() + count;
      }
      break;
    case ExpectedVersion::Kind::no_stream:
      if (create_stream(stream_id, entity_type, count)) new_version = count;
      break;
    case ExpectedVersion::Kind::any:
      if (!command_id.empty()) {
        if (auto prior = find_command(stream_id, command_id)) return duplicate_of(*prior);
      }
      new_version = force_bump_stream(stream_id, entity_type, count);
      break;
  }
  if (new_version == 0) return failed_append(stream_id, command_id);

  AppendResult result{AppendResult::Status::appended, new_version, 0, 0};
  std::int64_t version = new_version - count;
  for (const auto& event : events) {
    ++version;
    const std::string canonical =
        canonical_event_bytes(stream_id, version, event, recorded_at, metadata);
    const std::int64_t position =
        insert_event(stream_id, version, event, recorded_at, metadata, canonical);
    if (result.first_position == 0) result.first_position = position;
    result.last_position = position;
  }
  return result;
}

std::optional<AppendResult> SqlTransaction::in_one_statement(
    const std::string& stream_id, const std::string& entity_type, ExpectedVersion expected,
    const NewEvent& event, const std::string& recorded_at, const EventMetadata& metadata,
    const WriteAlong* along) {
  const std::int64_t from =
      expected.kind() == ExpectedVersion::Kind::exact ? expected.version() : 0;
  const auto position =
      check_and_insert_one(stream_id, entity_type, from, event, recorded_at, metadata, along);
  if (!position) return std::nullopt;
  if (*position == 0) return failed_append(stream_id, metadata.command_id);
  return AppendResult{AppendResult::Status::appended, from + 1, *position, *position};
}

AppendResult SqlTransaction::append_with(const std::string& stream_id, ExpectedVersion expected,
                                         const NewEvent& event, const EventMetadata& metadata,
                                         const WriteAlong& along) {
  if (expected.kind() == ExpectedVersion::Kind::any) {
    throw StoreUsageError("append_with needs an exact or no_stream expectation");
  }
  const std::string entity_type = checked_entity_type(stream_id, expected);
  EventMetadata with_time = metadata;
  if (with_time.recorded_at.empty()) with_time.recorded_at = events::now_timestamp();
  if (auto done = in_one_statement(stream_id, entity_type, expected, event, with_time.recorded_at,
                                   with_time, &along)) {
    return *done;
  }
  // Statement by statement, inside the unit's transaction. A repeated command id is a
  // duplicate before the row is touched (as PostgreSQL's statement checks it).
  if (!metadata.command_id.empty()) {
    if (auto prior = find_command(stream_id, metadata.command_id)) return duplicate_of(*prior);
  }
  if (execute(along.sql, along.params) != 1) return failed_append(stream_id, metadata.command_id);
  const AppendResult result = append(stream_id, expected, std::span(&event, 1), with_time);
  if (result.status != AppendResult::Status::appended) {
    // As PostgreSQL's one statement refuses it (folio_both_or_neither); the exception rolls
    // the row back with the unit.
    throw StoreCorrupt(std::string(kRowAndStreamDisagree) + " (" + stream_id + ")");
  }
  return result;
}

}  // namespace folio::store
