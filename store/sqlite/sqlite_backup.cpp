#include "store/sqlite/sqlite_backup.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "store/sqlite/file_sync.h"
#include "store/store_error.h"

namespace folio::store::sqlite {

namespace {

namespace fs = std::filesystem;

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw StoreUnavailable(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Database open(const std::string& path, int flags, const std::string& role) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) fail(db.get(), "cannot open the " + role + " '" + path + "'");
  sqlite3_busy_timeout(db.get(), 10000);
  return db;
}

void exec(sqlite3* db, const char* sql, const std::string& what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, what);
}

// Runs a query whose first row's columns are all wanted; returns them as text.
std::vector<std::string> first_row(sqlite3* db, const char* sql, const std::string& what) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) fail(db, what);
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  std::vector<std::string> row;
  const int rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(raw); ++i) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
      row.emplace_back(text ? text : "");
    }
  } else if (rc != SQLITE_DONE) {
    fail(db, what);
  }
  return row;
}

// Copies every page of `source` into `destination`, calling `on_progress` after each step.
std::int64_t copy_pages(sqlite3* source, sqlite3* destination, const BackupProgress& on_progress,
                        int pages_per_step) {
  sqlite3_backup* backup = sqlite3_backup_init(destination, "main", source, "main");
  if (!backup) fail(destination, "cannot start the backup");
  int rc = SQLITE_OK;
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    rc = sqlite3_backup_step(backup, pages_per_step);
    const std::int64_t total = sqlite3_backup_pagecount(backup);
    if (on_progress) on_progress(total - sqlite3_backup_remaining(backup), total);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const std::int64_t pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);  // returns rc again; rc below already says how it went
  if (rc != SQLITE_DONE) fail(destination, "the backup failed");
  return pages;
}

// Removes the partial file (and SQLite's side files) unless the backup completed.
class PartialFile {
 public:
  explicit PartialFile(fs::path path) : path_(std::move(path)) { remove(); }
  ~PartialFile() {
    if (!kept_) remove();
  }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  const fs::path& path() const { return path_; }
  void keep() { kept_ = true; }

 private:
  void remove() {
    std::error_code ignored;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
      fs::remove(path_.string() + suffix, ignored);
    }
  }
  fs::path path_;
  bool kept_ = false;
};

}  // namespace

BackupSummary backup_database(const std::string& source_path, const std::string& destination_path,
                              const BackupProgress& on_progress, int pages_per_step) {
  if (!fs::exists(source_path)) {
    throw StoreUsageError("there is no SQLite database at '" + source_path + "'");
  }
  if (fs::exists(destination_path)) {
    throw StoreUsageError("'" + destination_path +
                          "' exists: a backup never overwrites a file; name a new one");
  }
  PartialFile partial(destination_path + ".partial");
  BackupSummary summary;
  {
    Database source = open(source_path, SQLITE_OPEN_READWRITE, "database");
    // One read transaction across every step: the copy is this snapshot, and writers on
    // other connections (WAL) neither wait for it nor make it start over.
    exec(source.get(), "BEGIN", "cannot start a read transaction");
    first_row(source.get(), "SELECT count(*) FROM sqlite_schema", "cannot read the database");
    Database destination =
        open(partial.path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "backup file");
    summary.pages = copy_pages(source.get(), destination.get(), on_progress, pages_per_step);
    exec(source.get(), "COMMIT", "cannot end the read transaction");

    const auto check = first_row(destination.get(), "PRAGMA quick_check", "cannot check the copy");
    if (check.empty() || check[0] != "ok") {
      throw StoreCorrupt("the copy failed PRAGMA quick_check: " +
                         (check.empty() ? std::string("no answer") : check[0]));
    }
    const auto head = first_row(destination.get(),
                                "SELECT count(*), coalesce(max(global_position), 0) FROM events",
                                "cannot read the copy's event log");
    summary.events = std::stoll(head.at(0));
    summary.head_position = std::stoll(head.at(1));
  }  // both connections closed: the copy's -wal, if any, is checkpointed into it and removed
  summary.bytes = static_cast<std::int64_t>(fs::file_size(partial.path()));
  sync_file(partial.path());
  fs::rename(partial.path(), destination_path);
  partial.keep();
  sync_directory_of(destination_path);  // the rename
  return summary;
}

}  // namespace folio::store::sqlite
