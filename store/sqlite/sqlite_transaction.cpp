#include "store/sqlite/sqlite_transaction.h"

#include "store/event_row.h"

namespace folio::store::sqlite {

namespace {

constexpr const char* kBumpStream =
    "UPDATE streams SET version = ?2 + ?3 WHERE stream_id = ?1 AND version = ?2"
    " AND NOT EXISTS (SELECT 1 FROM events WHERE stream_id = ?1 AND command_id = ?4)";
constexpr const char* kCreateStream =
    "INSERT INTO streams (stream_id, entity_type, version) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (stream_id) DO NOTHING";
constexpr const char* kForceBumpStream =
    "INSERT INTO streams (stream_id, entity_type, version) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (stream_id) DO UPDATE SET version = streams.version + excluded.version"
    " RETURNING version";
constexpr const char* kFindCommand =
    "SELECT MAX(stream_version), MIN(global_position), MAX(global_position) FROM events"
    " WHERE stream_id = ?1 AND command_id = ?2";
constexpr const char* kInsertEvent =
    "INSERT INTO events (stream_id, stream_version, event_type, schema_version, payload,"
    " recorded_at, user_id, request_id, command_id, event_hash)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, folio_chain_hash((SELECT event_hash FROM"
    " events WHERE stream_id = ?1 AND stream_version = ?2 - 1), ?10))";
constexpr const char* kStreamVersion = "SELECT version FROM streams WHERE stream_id = ?1";

constexpr const char* kReadStream = FOLIO_EVENT_SELECT
    " WHERE stream_id = ?1 AND stream_version BETWEEN ?2 AND ?3 ORDER BY stream_version";
constexpr const char* kReadAll =
    FOLIO_EVENT_SELECT " WHERE global_position > ?1 ORDER BY global_position LIMIT ?2";

std::vector<RecordedEvent> collect_events(Statement& stmt) {
  std::vector<RecordedEvent> result;
  while (stmt.step()) {
    result.push_back(event_of(stmt));
  }
  return result;
}

void bind_all(Statement& stmt, std::span<const SqlValue> params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
      stmt.bind(index, *n);
    } else if (const auto* t = std::get_if<std::string>(&params[i])) {
      stmt.bind(index, std::string_view(*t));
    } else {
      stmt.bind_null(index);
    }
  }
}

}  // namespace

std::size_t SqliteTransaction::execute(const char* sql, std::span<const SqlValue> params) {
  auto stmt = db_.prepare_portable(sql);
  bind_all(stmt, params);
  return static_cast<std::size_t>(stmt.execute());
}

std::vector<SqlRow> SqliteTransaction::query(const char* sql, std::span<const SqlValue> params) {
  auto stmt = db_.prepare_portable(sql);
  bind_all(stmt, params);
  std::vector<SqlRow> rows;
  while (stmt.step()) {
    SqlRow& row = rows.emplace_back();
    const int columns = stmt.column_count();
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (stmt.is_null(c)) {
        row.emplace_back();
      } else if (stmt.is_integer(c)) {
        row.emplace_back(stmt.int64(c));
      } else {
        row.emplace_back(stmt.text(c));
      }
    }
  }
  return rows;
}

std::int64_t SqliteTransaction::stream_version(const std::string& stream_id) {
  auto stmt = db_.prepare(kStreamVersion);
  stmt.bind(1, stream_id);
  return stmt.step() ? stmt.int64(0) : 0;
}

std::vector<RecordedEvent> SqliteTransaction::read_stream(const std::string& stream_id,
                                                          std::int64_t from_version,
                                                          std::int64_t to_version) {
  auto stmt = db_.prepare(kReadStream);
  stmt.bind(1, stream_id).bind(2, from_version).bind(3, to_version);
  return collect_events(stmt);
}

// One writer, whose batches commit whole and take positions in order: nothing to wait for.
std::int64_t SqliteTransaction::settled_head() { return head_position(*this); }

std::vector<RecordedEvent> SqliteTransaction::read_all(std::int64_t after_position,
                                                       std::size_t limit) {
  auto stmt = db_.prepare(kReadAll);
  stmt.bind(1, after_position).bind(2, static_cast<std::int64_t>(limit));
  return collect_events(stmt);
}

bool SqliteTransaction::bump_stream(const std::string& stream_id, std::int64_t expected,
                                    std::int64_t count, const std::string& command_id) {
  auto stmt = db_.prepare(kBumpStream);
  stmt.bind(1, stream_id).bind(2, expected).bind(3, count).bind_text_or_null(4, command_id);
  return stmt.execute() == 1;
}

bool SqliteTransaction::create_stream(const std::string& stream_id, const std::string& entity_type,
                                      std::int64_t count) {
  auto stmt = db_.prepare(kCreateStream);
  stmt.bind(1, stream_id).bind(2, entity_type).bind(3, count);
  return stmt.execute() == 1;
}

std::int64_t SqliteTransaction::force_bump_stream(const std::string& stream_id,
                                                  const std::string& entity_type,
                                                  std::int64_t count) {
  auto stmt = db_.prepare(kForceBumpStream);
  stmt.bind(1, stream_id).bind(2, entity_type).bind(3, count);
  std::int64_t version = 0;
  while (stmt.step()) version = stmt.int64(0);
  return version;
}

std::optional<SqlTransaction::PriorAppend> SqliteTransaction::find_command(
    const std::string& stream_id, const std::string& command_id) {
  auto stmt = db_.prepare(kFindCommand);
  stmt.bind(1, stream_id).bind(2, command_id);
  if (!stmt.step() || stmt.is_null(0)) return std::nullopt;
  return PriorAppend{stmt.int64(0), stmt.int64(1), stmt.int64(2)};
}

std::int64_t SqliteTransaction::insert_event(const std::string& stream_id,
                                             std::int64_t stream_version, const NewEvent& event,
                                             const std::string& recorded_at,
                                             const EventMetadata& metadata,
                                             std::string_view canonical) {
  auto stmt = db_.prepare(kInsertEvent);
  stmt.bind(1, stream_id)
      .bind(2, stream_version)
      .bind(3, event.event_type)
      .bind(4, static_cast<std::int64_t>(event.schema_version))
      .bind_blob(5, event.payload)
      .bind(6, recorded_at)
      .bind(7, metadata.user_id)
      .bind(8, metadata.request_id)
      .bind_text_or_null(9, metadata.command_id)
      .bind_blob(10, canonical);
  stmt.execute();
  return db_.last_insert_rowid();
}

}  // namespace folio::store::sqlite
