#include "store/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <thread>

#include "store/event_hash.h"
#include "store/sqlite/gathered_wal_vfs.h"
#include "store/store_error.h"

namespace folio::store::sqlite {

namespace {
constexpr int kBusyTimeoutMs = 10000;

// SQL function folio_chain_hash(previous_hex_or_null, canonical_blob) -> hex: the append's
// event hash (store/event_hash.h chain_hash), computed inside the INSERT as PostgreSQL
// does with sha256().
void chain_hash_function(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  std::string previous;
  if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    previous =
        from_hex(std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
    if (previous.size() != kHashBytes) {
      sqlite3_result_error(context,
                           "folio_chain_hash: the previous event hash is not 64 hex digits", -1);
      return;
    }
  }
  const void* blob = sqlite3_value_blob(argv[1]);
  const auto size = static_cast<std::size_t>(sqlite3_value_bytes(argv[1]));
  const std::string hex =
      to_hex(chain_hash(previous, std::string_view(static_cast<const char*>(blob), size)));
  sqlite3_result_text(context, hex.data(), static_cast<int>(hex.size()), SQLITE_TRANSIENT);
}
}  // namespace

Statement::Statement(SqliteConnection& connection, sqlite3_stmt* stmt)
    : connection_(connection), stmt_(stmt) {}

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  connection_.check(sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  refuse_nul(text);
  connection_.check(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8),
      "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const char empty = 0;
  connection_.check(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &empty : bytes.data(),
                                        bytes.size(), SQLITE_STATIC),
                    "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  connection_.check(sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}

Statement& Statement::bind_text_or_null(int index, std::string_view text) {
  return text.empty() ? bind_null(index) : bind(index, text);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  connection_.check(rc, sqlite3_sql(stmt_));
  return false;
}

int Statement::execute() {
  while (step()) {
  }
  return sqlite3_changes(sqlite3_db_handle(stmt_));
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

bool Statement::is_integer(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_INTEGER;
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

std::string Statement::blob(int column) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

namespace {
// SQLite's memory statistics take one process-wide mutex on every allocation, which the
// connection threads then queue on (seen in perf under concurrent reads). Folio reads no
// statistics, so they are turned off once, before SQLite initialises itself.
void configure_sqlite_once() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}
}  // namespace

// configure_sqlite_once() before gathered_wal_vfs(): finding the default VFS initialises
// SQLite, after which its configuration can no longer change.
SqliteConnection::SqliteConnection(const std::string& path, bool gather_wal_writes)
    : SqliteConnection(path, (configure_sqlite_once(), gather_wal_writes ? gathered_wal_vfs()
                                                                         : nullptr)) {}

SqliteConnection::SqliteConnection(const std::string& path, const char* vfs) : path_(path) {
  configure_sqlite_once();
  const int rc = sqlite3_open_v2(
      path.c_str(), &db_,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      vfs);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreUnavailable("cannot open SQLite database '" + path + "': " + message);
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  check(sqlite3_create_function_v2(db_, "folio_chain_hash", 2,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                   chain_hash_function, nullptr, nullptr, nullptr),
        "register folio_chain_hash");
  // Turning a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once
  // instead of calling the busy handler: two processes opening one new database together
  // (two servers starting on an empty store) can meet it. Wait as the busy timeout would.
  for (int waited_ms = 0;; waited_ms += 5) {
    const int rc = sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) break;
    if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= kBusyTimeoutMs) {
      check(rc, "PRAGMA journal_mode = WAL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  exec_script(
      "PRAGMA synchronous = FULL;"
      "PRAGMA foreign_keys = ON;"
      // Deleted and overwritten content is zeroed, so that an erased value leaves no copy in
      // free space (docs/personal-data.md). Costs a memset in pages written anyway, and the
      // writing of pages freed whole.
      "PRAGMA secure_delete = ON;");
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  for (auto& [sql, stmt] : portable_statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

void SqliteConnection::exec_script(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    sqlite3_free(error);  // check() reports sqlite3_errmsg, the same text
    // Name the statement (its start: scripts can be long) so the error says what failed.
    check(rc, sql.substr(0, std::min(sql.find('\n'), std::size_t{60})));
  }
}

void SqliteConnection::run(const char* sql) { prepare(sql).execute(); }

sqlite3_stmt* SqliteConnection::compile(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr), sql);
  return stmt;
}

Statement SqliteConnection::prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) it = statements_.emplace(sql, compile(sql)).first;
  return Statement(*this, it->second);
}

Statement SqliteConnection::prepare_portable(const char* sql) {
  auto it = portable_statements_.find(sql);
  if (it == portable_statements_.end()) {
    std::string rewritten(sql);
    for (char& c : rewritten) {
      if (c == '$') c = '?';
    }
    it = portable_statements_.emplace(sql, compile(rewritten)).first;
  }
  return Statement(*this, it->second);
}

void SqliteConnection::set_busy_timeout(std::chrono::milliseconds timeout) {
  const std::int64_t ms = std::clamp<std::int64_t>(timeout.count(), 0, INT_MAX);
  sqlite3_busy_timeout(db_, static_cast<int>(ms));
}

std::int64_t SqliteConnection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

void SqliteConnection::on_wal_commit(std::function<void(int wal_frames)> listener) {
  wal_commit_listener_ = std::move(listener);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<SqliteConnection*>(self)->wal_commit_listener_(frames);
        return SQLITE_OK;
      },
      this);
}

bool SqliteConnection::in_autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

void SqliteConnection::check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  const std::string message = "SQLite error on '" + path_ + "' (" + std::string(what) +
                              "): " + sqlite3_errmsg(db_) + " [" + sqlite3_errstr(rc) + "]";
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    throw UniqueViolation(message);
  }
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_SCHEMA:
      throw StoreCorrupt(message);
    case SQLITE_BUSY:
      throw StoreBusy(message);
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
      throw StoreUnavailable(message);
    case SQLITE_ERROR:
      // "no such table" and the like: the schema is not what Folio expects.
      throw StoreCorrupt(message);
    default:
      throw StoreError(message);
  }
}

}  // namespace folio::store::sqlite
