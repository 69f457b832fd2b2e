#include "store/postgres/pg_transaction.h"

#include <libpq-fe.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <pqxx/binarystring>
#include <pqxx/except>
#include <pqxx/result>
#include <thread>

#include "store/event_hash.h"
#include "store/event_row.h"
#include "store/postgres/pg_event_sql.h"
#include "store/postgres/pg_values.h"
#include "store/store_error.h"

namespace folio::store::postgres {

namespace {

struct NamedSql {
  const char* name;
  const char* sql;
};
struct NamedStatement {
  std::string name;
  std::string sql;
};

constexpr NamedSql kBumpStream{
    "folio_bump_stream",
    "UPDATE streams SET version = $2::bigint + $3::bigint"
    " WHERE stream_id = $1 AND version = $2::bigint"
    " AND NOT EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND command_id = $4)"};
constexpr NamedSql kCreateStream{
    "folio_create_stream",
    "INSERT INTO streams (stream_id, entity_type, version) VALUES ($1, $2, $3)"
    " ON CONFLICT (stream_id) DO NOTHING"};
constexpr NamedSql kForceBumpStream{
    "folio_force_bump_stream",
    "INSERT INTO streams (stream_id, entity_type, version) VALUES ($1, $2, $3)"
    " ON CONFLICT (stream_id) DO UPDATE SET version = streams.version + excluded.version"
    " RETURNING version"};
constexpr NamedSql kFindCommand{
    "folio_find_command",
    "SELECT MAX(stream_version), MIN(global_position), MAX(global_position) FROM events"
    " WHERE stream_id = $1 AND command_id = $2"};
// An event of stream $1 at version VERSION, with $3 event type, $4 schema version, $5
// payload, $6 recorded_at, $7 user, $8 request, $9 command id and the canonical bytes $10
// (pg_event_sql.h). Rows of SOURCE (the stream check) decide whether it is written.
#define FOLIO_EVENT_ROW(VERSION)                                                       \
  FOLIO_EVENT_COLUMNS FOLIO_EVENT_VALUES("$1", VERSION,                                \
                                         "$3, $4::integer, $5::bytea, $6, $7, $8, $9", \
                                         "$10::bytea") " FROM appending RETURNING global_position"
#define FOLIO_INSERT_EVENT(VERSION, SOURCE) FOLIO_LOG_LOCK(SOURCE) FOLIO_EVENT_ROW(VERSION)
constexpr NamedSql kInsertEvent{
    "folio_insert_event", "WITH always AS (SELECT)," FOLIO_INSERT_EVENT("$2::bigint", "always")};
// A command's single event with its stream check, in one statement (one round trip):
// $2 is the expected version; nothing is written unless the bump (as kBumpStream) or the
// creation (as kCreateStream, $11 the entity type) happened.
constexpr NamedSql kBumpAndInsert{
    "folio_bump_and_insert",
    "WITH checked AS (UPDATE streams SET version = $2::bigint + 1"
    " WHERE stream_id = $1 AND version = $2::bigint"
    " AND NOT EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND command_id = $9)"
    " RETURNING version)," FOLIO_INSERT_EVENT("($2::bigint + 1)", "checked")};
constexpr NamedSql kCreateAndInsert{
    "folio_create_and_insert",
    "WITH checked AS (INSERT INTO streams (stream_id, entity_type, version)"
    " VALUES ($1, $11, 1) ON CONFLICT (stream_id) DO NOTHING RETURNING "
    "version)," FOLIO_INSERT_EVENT("($2::bigint + 1)", "checked")};
// The same with a write of the layers above (WriteAlong, its placeholders moved past ours:
// after $10, or after $11 for a creation) that must change its row for the stream check to
// run; folio_both_or_neither (migration 0007) fails the statement, so nothing is written,
// if the row changed but the stream check failed (the read model and the stream disagree:
// only a write that bypassed Folio does that). An update's row carries the command-id
// check (kNoSuchCommandYet, appended to its WHERE clause), so the stream bump needs none.
constexpr const char* kNoSuchCommandYet =
    " AND NOT EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND command_id = $9)";
constexpr const char* kBumpWithAlong =
    " checked AS (UPDATE streams SET version = $2::bigint + 1"
    " WHERE stream_id = $1 AND version = $2::bigint"
    " AND EXISTS (SELECT 1 FROM along) RETURNING version),";
constexpr const char* kCreateWithAlong =
    " checked AS (INSERT INTO streams (stream_id, entity_type, version)"
    " SELECT $1, $11, 1 WHERE EXISTS (SELECT 1 FROM along)"
    " ON CONFLICT (stream_id) DO NOTHING RETURNING version),";
constexpr const char* kInsertAfterAlong =
    FOLIO_LOG_LOCK("checked") ", inserted AS (" FOLIO_EVENT_ROW("($2::bigint + 1)") ")"
    " SELECT (SELECT global_position FROM inserted),"
    " folio_both_or_neither((SELECT count(*) FROM along), (SELECT count(*) FROM inserted))";
#undef FOLIO_INSERT_EVENT
#undef FOLIO_EVENT_ROW
// read_all's steps. The highest position handed out so far (CACHE 1: in the order taken).
constexpr NamedSql kPositionsTaken{
    "folio_positions_taken",
    "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_global_position_seq"};
// The other transactions holding the append lock now (pg_locks shows a bigint advisory key
// as its high and low 32 bits).
#define FOLIO_LOG_LOCK_HOLDERS                                                       \
  " FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"          \
  " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" \
  " AND classid = ((" FOLIO_LOG_LOCK_KEY                                             \
  " >> 32) & 4294967295)::oid"                                                       \
  " AND objid = (" FOLIO_LOG_LOCK_KEY " & 4294967295)::oid AND pid <> pg_backend_pid()"
constexpr NamedSql kAppendsInFlight{
    "folio_appends_in_flight",
    "SELECT coalesce(array_agg(virtualtransaction), '{}')" FOLIO_LOG_LOCK_HOLDERS};
constexpr NamedSql kAppendsStillInFlight{"folio_appends_still_in_flight",
                                         "SELECT count(*)" FOLIO_LOG_LOCK_HOLDERS
                                         " AND virtualtransaction = ANY($1::text[])"};
#undef FOLIO_LOG_LOCK_HOLDERS
constexpr NamedSql kLastEventUpTo{
    "folio_last_event_up_to",
    "SELECT MAX(global_position) FROM events WHERE global_position <= $1"};
constexpr NamedSql kStreamVersion{"folio_stream_version",
                                  "SELECT version FROM streams WHERE stream_id = $1"};

constexpr NamedSql kReadStream{
    "folio_read_stream", FOLIO_EVENT_SELECT
    " WHERE stream_id = $1 AND stream_version BETWEEN $2 AND $3 ORDER BY stream_version"};
constexpr NamedSql kReadAll{"folio_read_all", FOLIO_EVENT_SELECT
                            " WHERE global_position > $1 AND global_position <= $2"
                            " ORDER BY global_position LIMIT $3"};

constexpr NamedSql kAllStatements[] = {
    kBumpStream,    kCreateStream,    kForceBumpStream, kFindCommand,     kInsertEvent,
    kBumpAndInsert, kCreateAndInsert, kPositionsTaken,  kAppendsInFlight, kAppendsStillInFlight,
    kLastEventUpTo, kStreamVersion,   kReadStream,      kReadAll};

const char* text_or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

// `sql` with every placeholder $N renumbered to $(N + offset).
std::string shift_placeholders(std::string_view sql, int offset) {
  std::string out;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    out += sql[i];
    if (sql[i] != '$') continue;
    std::size_t end = i + 1;
    while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
    if (end == i + 1) continue;
    out += std::to_string(std::stoi(std::string(sql.substr(i + 1, end - i - 1))) + offset);
    i = end - 1;
  }
  return out;
}

// The statement name and text of check_and_insert_one with `along_sql`, built once per
// (along statement, creation or not).
const NamedStatement& with_along_statement(const char* along_sql, bool create) {
  static std::mutex mutex;
  static std::map<std::pair<const char*, bool>, NamedStatement> built;
  std::lock_guard lock(mutex);
  auto [it, inserted] = built.try_emplace({along_sql, create});
  if (inserted) {
    // An update's row is not written for a command id this stream already holds (a repeat
    // at a later version: answered as a duplicate, not refused as a disagreement). A
    // creation's INSERT needs no such check: a repeat finds its row taken.
    it->second.sql = "WITH along AS (" + shift_placeholders(along_sql, create ? 11 : 10) +
                     (create ? "" : kNoSuchCommandYet) + " RETURNING 1)," +
                     (create ? kCreateWithAlong : kBumpWithAlong) + kInsertAfterAlong;
    it->second.name = "w" + std::to_string(std::hash<std::string>{}(it->second.sql));
  }
  return it->second;
}

// A row of a libpqxx result.
struct ResultRow {
  const pqxx::row& row;
  std::string text(int c) const { return row[c].c_str(); }
  std::int64_t int64(int c) const { return row[c].as<std::int64_t>(); }
  std::string blob(int c) const { return pqxx::binarystring(row[c]).str(); }
  bool is_null(int c) const { return row[c].is_null(); }
};

// A row as a StatementPipe answers it: integers parsed, everything else as libpq's text
// (bytea in its hex form).
struct PipedRow {
  const SqlRow& row;
  std::string text(int c) const { return std::get<std::string>(at(c)); }
  std::int64_t int64(int c) const { return std::get<std::int64_t>(at(c)); }
  std::string blob(int c) const {
    const std::string& escaped = std::get<std::string>(at(c));
    std::size_t length = 0;
    unsigned char* raw =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(escaped.c_str()), &length);
    if (!raw) throw std::bad_alloc();
    std::string out(reinterpret_cast<const char*>(raw), length);
    PQfreemem(raw);
    return out;
  }
  bool is_null(int c) const { return std::holds_alternative<std::monostate>(at(c)); }
  const SqlValue& at(int c) const { return row.at(static_cast<std::size_t>(c)); }
};

std::vector<RecordedEvent> collect_events(const pqxx::result& rows) {
  return events_of_rows<ResultRow>(rows);
}

constexpr const char* kLockExclusive = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
constexpr const char* kLockShared = "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))";

}  // namespace

pqxx::result PgTransaction::run(const char* sql, std::span<const SqlValue> params) {
  // Statements are named after their text; re-preparing an already prepared name with the
  // same text is a cheap lookup in libpqxx, and the server-side PREPARE happens only once
  // per connection.
  const std::string name = statement_name(sql);
  tx_.conn().prepare(name, sql);
  const TextParams values(params);
  try {
    return tx_.exec_prepared(name, pqxx::prepare::make_dynamic_params(values.values()));
  } catch (const pqxx::unique_violation& e) {
    throw UniqueViolation(e.what());
  }
}

void PgTransaction::need_transaction() {
  if (autocommitted_) {
    throw StoreUsageError("a lazy_write unit of work wrote after its one-statement write");
  }
  if (lazy_ && !begun_) {
    tx_.exec("BEGIN");
    begun_ = true;
  }
}

std::size_t PgTransaction::execute(const char* sql, std::span<const SqlValue> params) {
  need_transaction();
  return static_cast<std::size_t>(run(sql, params).affected_rows());
}

std::vector<SqlRow> PgTransaction::query(const char* sql, std::span<const SqlValue> params) {
  const pqxx::result result = run(sql, params);
  std::vector<bool> integer_column;
  for (pqxx::row::size_type c = 0; c < result.columns(); ++c) {
    integer_column.push_back(is_integer_oid(result.column_type(c)));
  }
  std::vector<SqlRow> rows;
  rows.reserve(result.size());
  for (const auto& r : result) {
    SqlRow& row = rows.emplace_back();
    row.reserve(integer_column.size());
    for (pqxx::row::size_type c = 0; c < r.size(); ++c) {
      if (r[c].is_null()) {
        row.emplace_back();
      } else if (integer_column[c]) {
        row.emplace_back(r[c].as<std::int64_t>());
      } else {
        row.emplace_back(std::string(r[c].c_str(), r[c].size()));
      }
    }
  }
  return rows;
}

void PgTransaction::lock_key(std::string_view key, bool shared) {
  need_transaction();
  const SqlValue param{std::string(key)};
  run(shared ? kLockShared : kLockExclusive, std::span(&param, 1));
}

const char* read_stream_sql() { return kReadStream.sql; }

std::vector<RecordedEvent> events_of(const std::vector<SqlRow>& rows) {
  return events_of_rows<PipedRow>(rows);
}

void prepare_event_store_statements(pqxx::connection_base& connection) {
  for (const auto& statement : kAllStatements) connection.prepare(statement.name, statement.sql);
}

std::int64_t PgTransaction::stream_version(const std::string& stream_id) {
  const auto rows = tx_.exec_prepared(kStreamVersion.name, stream_id);
  return rows.empty() ? 0 : rows[0][0].as<std::int64_t>();
}

std::vector<RecordedEvent> PgTransaction::read_stream(const std::string& stream_id,
                                                      std::int64_t from_version,
                                                      std::int64_t to_version) {
  return collect_events(tx_.exec_prepared(kReadStream.name, stream_id, from_version, to_version));
}

// read_all and settled_head never skip an event, and never request a lock that appends
// wait for:
// 1. P = the highest position handed out so far.
// 2. The transactions holding the append lock now (other than this one).
// 3. Wait until none of them holds it any more (they committed or rolled back).
// 4. Return the events after `after_position` up to P, in a statement that starts later.
// Every position <= P was taken by an append that held the lock from before it took the
// position (the lock is taken in the same statement, before nextval) until its end. So at
// step 1 that append had ended, or it still held the lock then and therefore at step 2
// unless it ended in between: after step 3 every append with a position <= P has ended, and
// step 4 (read committed: a snapshot of its own) sees its events, or they never will exist.
// Positions above P are left for the next call. Unrelated transactions, however long, are
// not waited for: they do not hold the lock.
std::int64_t PgTransaction::positions_taken() {
  return tx_.exec_prepared1(kPositionsTaken.name)[0].as<std::int64_t>();
}

void PgTransaction::wait_for_appends_in_flight() {
  const std::string in_flight = tx_.exec_prepared1(kAppendsInFlight.name)[0].c_str();
  if (in_flight == "{}") return;
  // Appends hold the lock for one short transaction: poll briefly.
  while (tx_.exec_prepared1(kAppendsStillInFlight.name, in_flight)[0].as<std::int64_t>() > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

std::vector<RecordedEvent> PgTransaction::read_all(std::int64_t after_position, std::size_t limit) {
  const std::int64_t taken = positions_taken();
  if (taken <= after_position) return {};  // a follower that is caught up waits for nothing
  wait_for_appends_in_flight();
  return collect_events(
      tx_.exec_prepared(kReadAll.name, after_position, taken, static_cast<std::int64_t>(limit)));
}

std::int64_t PgTransaction::settled_head() {
  const std::int64_t taken = positions_taken();
  wait_for_appends_in_flight();
  const auto row = tx_.exec_prepared1(kLastEventUpTo.name, taken);
  return row[0].is_null() ? 0 : row[0].as<std::int64_t>();
}

bool PgTransaction::bump_stream(const std::string& stream_id, std::int64_t expected,
                                std::int64_t count, const std::string& command_id) {
  need_transaction();
  return tx_.exec_prepared(kBumpStream.name, stream_id, expected, count, text_or_null(command_id))
             .affected_rows() == 1;
}

bool PgTransaction::create_stream(const std::string& stream_id, const std::string& entity_type,
                                  std::int64_t count) {
  need_transaction();
  return tx_.exec_prepared(kCreateStream.name, stream_id, entity_type, count).affected_rows() == 1;
}

std::int64_t PgTransaction::force_bump_stream(const std::string& stream_id,
                                              const std::string& entity_type, std::int64_t count) {
  need_transaction();
  return tx_.exec_prepared1(kForceBumpStream.name, stream_id, entity_type, count)[0]
      .as<std::int64_t>();
}

std::optional<SqlTransaction::PriorAppend> PgTransaction::find_command(
    const std::string& stream_id, const std::string& command_id) {
  const auto row = tx_.exec_prepared1(kFindCommand.name, stream_id, command_id);
  if (row[0].is_null()) return std::nullopt;
  return PriorAppend{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(),
                     row[2].as<std::int64_t>()};
}

std::optional<std::int64_t> PgTransaction::check_and_insert_one(
    const std::string& stream_id, const std::string& entity_type, std::int64_t expected,
    const NewEvent& event, const std::string& recorded_at, const EventMetadata& metadata,
    const WriteAlong* along) {
  if (autocommitted_) {
    throw StoreUsageError("a lazy_write unit of work wrote after its one-statement write");
  }
  autocommitted_ = lazy_ && !begun_;  // one statement, atomic by itself
  try {
    const std::int64_t position =
        insert_one(stream_id, entity_type, expected, event, recorded_at, metadata, along);
    committed_alone_ = autocommitted_ && position > 0;
    return position;
  } catch (const pqxx::broken_connection& e) {
    // Sent without a transaction: it may have committed before the connection broke.
    if (autocommitted_) throw pqxx::in_doubt_error(e.what());
    throw;
  }
}

namespace {
struct OneStatement {
  const char* name;
  const char* sql;
};

// check_and_insert_one's statement: with `along`'s write, or without.
OneStatement one_statement(bool create, const WriteAlong* along) {
  if (!along)
    return create ? OneStatement{kCreateAndInsert.name, kCreateAndInsert.sql}
                  : OneStatement{kBumpAndInsert.name, kBumpAndInsert.sql};
  const NamedStatement& statement = with_along_statement(along->sql, create);
  return {statement.name.c_str(), statement.sql.c_str()};
}
}  // namespace

std::unique_ptr<GroupWrite> one_statement_write(const std::string& stream_id,
                                                const std::string& entity_type,
                                                std::int64_t expected, const NewEvent& event,
                                                const std::string& recorded_at,
                                                const EventMetadata& metadata,
                                                const WriteAlong* along) {
  const OneStatement statement = one_statement(expected == 0, along);
  // The parameters of insert_one's exec_prepared, in libpq's form.
  auto write = std::make_unique<GroupWrite>(statement.name, statement.sql, stream_id);
  write->add_text(stream_id);
  write->add_integer(expected);
  write->add_text(event.event_type);
  write->add_integer(event.schema_version);
  write->add_binary(event.payload);
  write->add_text(recorded_at);
  write->add_text(metadata.user_id);
  write->add_text(metadata.request_id);
  if (metadata.command_id.empty()) {
    write->add_null();
  } else {
    write->add_text(metadata.command_id);
  }
  write->add_binary(canonical_event_bytes(stream_id, expected + 1, event, recorded_at, metadata));
  if (expected == 0) write->add_text(entity_type);
  if (along && along->shape && along->shape->insert == (expected == 0)) {
    write->set_row_write_shape(along->shape);
  }
  const TextParams along_values(along ? along->params : std::span<const SqlValue>{});
  for (const char* value : along_values.values()) {
    if (value) {
      write->add_text(value);
    } else {
      write->add_null();
    }
  }
  return write;
}

std::int64_t PgTransaction::insert_one(const std::string& stream_id, const std::string& entity_type,
                                       std::int64_t expected, const NewEvent& event,
                                       const std::string& recorded_at,
                                       const EventMetadata& metadata, const WriteAlong* along) {
  const bool create = expected == 0;
  if (autocommitted_ && group_) {
    const auto position =
        insert_one_in_group(stream_id, entity_type, expected, event, recorded_at, metadata, along);
    if (position) return *position;  // else its batch failed: run it alone, as without a group
  }
  const OneStatement statement = one_statement(create, along);
  if (along) tx_.conn().prepare(statement.name, statement.sql);
  const std::string canonical =
      canonical_event_bytes(stream_id, expected + 1, event, recorded_at, metadata);
  const pqxx::binarystring payload(event.payload.data(), event.payload.size());
  const pqxx::binarystring hash_input(canonical.data(), canonical.size());
  const TextParams along_values(along ? along->params : std::span<const SqlValue>{});
  const auto along_params = pqxx::prepare::make_dynamic_params(along_values.values());
  try {
    const auto rows =
        create ? tx_.exec_prepared(statement.name, stream_id, expected, event.event_type,
                                   event.schema_version, payload, recorded_at, metadata.user_id,
                                   metadata.request_id, text_or_null(metadata.command_id),
                                   hash_input, entity_type, along_params)
               : tx_.exec_prepared(statement.name, stream_id, expected, event.event_type,
                                   event.schema_version, payload, recorded_at, metadata.user_id,
                                   metadata.request_id, text_or_null(metadata.command_id),
                                   hash_input, along_params);
    // With `along` one row always (its position NULL when nothing was written).
    return rows.empty() || rows[0][0].is_null() ? 0 : rows[0][0].as<std::int64_t>();
  } catch (const pqxx::unique_violation& e) {
    if (along) throw UniqueViolation(e.what());  // the layers above's row: they run it again
    throw;
  }
}

std::optional<std::int64_t> PgTransaction::insert_one_in_group(
    const std::string& stream_id, const std::string& entity_type, std::int64_t expected,
    const NewEvent& event, const std::string& recorded_at, const EventMetadata& metadata,
    const WriteAlong* along) {
  const auto write =
      one_statement_write(stream_id, entity_type, expected, event, recorded_at, metadata, along);
  group_->run(*write);
  switch (write->outcome()) {
    case GroupWrite::Outcome::done:
      return write->position();
    case GroupWrite::Outcome::in_doubt:
      throw pqxx::in_doubt_error(write->error());
    default:
      return std::nullopt;
  }
}

std::int64_t PgTransaction::insert_event(const std::string& stream_id, std::int64_t stream_version,
                                         const NewEvent& event, const std::string& recorded_at,
                                         const EventMetadata& metadata,
                                         std::string_view canonical) {
  need_transaction();
  const pqxx::binarystring payload(event.payload.data(), event.payload.size());
  const pqxx::binarystring hash_input(canonical.data(), canonical.size());
  return tx_
      .exec_prepared1(kInsertEvent.name, stream_id, stream_version, event.event_type,
                      event.schema_version, payload, recorded_at, metadata.user_id,
                      metadata.request_id, text_or_null(metadata.command_id), hash_input)[0]
      .as<std::int64_t>();
}

}  // namespace folio::store::postgres
