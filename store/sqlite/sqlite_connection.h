// A thin RAII wrapper over one sqlite3 connection: open with Folio's pragmas, run scripts,
// and prepared statements cached per connection. Errors become StoreError exceptions.
// Not thread-safe: one connection belongs to one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace folio::store::sqlite {

class SqliteConnection;

// A prepared statement borrowed from its connection's cache; reset when it goes out of
// scope, so it can be reused by the next caller. Parameters are bound by index (1-based)
// without copying: bound text and bytes must stay alive until the Statement is destroyed.
class Statement {
 public:
  Statement(SqliteConnection& connection, sqlite3_stmt* stmt);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  // Binds text, or NULL when `text` is empty.
  Statement& bind_text_or_null(int index, std::string_view text);

  // Advances to the next row; false when done. Throws on errors.
  bool step();
  // Runs a statement that returns no rows; returns the number of rows changed.
  int execute();

  int column_count() const;
  bool is_null(int column) const;
  bool is_integer(int column) const;
  std::int64_t int64(int column) const;
  std::string text(int column) const;  // "" for NULL
  std::string blob(int column) const;

 private:
  SqliteConnection& connection_;
  sqlite3_stmt* stmt_;
};

class SqliteConnection {
 public:
  // Opens (creating if needed) the database file with WAL, synchronous=FULL, foreign keys
  // on, and a busy timeout so that other processes writing briefly are waited for.
  // `gather_wal_writes`: through gathered_wal_vfs.h (the writer's connection), so that a
  // commit writes its WAL frames with one system call.
  explicit SqliteConnection(const std::string& path, bool gather_wal_writes = false);
  // Through the registered VFS `vfs` (nullptr: the default).
  SqliteConnection(const std::string& path, const char* vfs);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more SQL statements without parameters.
  void exec_script(const std::string& sql);
  // Runs one statement without parameters or rows (BEGIN, SAVEPOINT, COMMIT) from the
  // statement cache: exec_script() parses its text on every call, which the writer's
  // per-command savepoints paid for in its busiest loop. `sql` as for prepare().
  void run(const char* sql);

  // The cached prepared statement for `sql`. `sql` must outlive the connection (use
  // named constants).
  Statement prepare(const char* sql);
  // Like prepare(), for SQL written with PostgreSQL-style $N placeholders (rewritten once
  // to SQLite's ?N).
  Statement prepare_portable(const char* sql);

  // How long a statement waits for a lock another connection holds before it fails with
  // SQLITE_BUSY (StoreBusy); the constructor sets 10 s; zero or less: it does not wait.
  void set_busy_timeout(std::chrono::milliseconds timeout);

  std::int64_t last_insert_rowid() const;
  // Calls `listener` after every commit on this connection with the WAL's size in frames.
  // Replaces SQLite's automatic checkpoints on this connection (wal_autocheckpoint).
  void on_wal_commit(std::function<void(int wal_frames)> listener);
  // True while no transaction is open (SQLite rolled back on its own after some errors).
  bool in_autocommit() const;

  // Throws the StoreError that fits SQLite result code `rc` if it is an error.
  void check(int rc, std::string_view what) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
  std::unordered_map<const char*, sqlite3_stmt*> portable_statements_;
  std::function<void(int)> wal_commit_listener_;
  sqlite3_stmt* compile(const std::string& sql);
};

}  // namespace folio::store::sqlite
