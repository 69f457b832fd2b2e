// The SQLite writer's VFS (store/sqlite/gathered_wal_vfs.h), which holds a transaction's WAL
// frames back and writes them at its commit: whatever it held back, another connection (on
// the default VFS, as the server's readers and checkpointer are) reads every commit the
// moment COMMIT returns, a rolled-back transaction leaves nothing, and the file is intact.
#include "store/sqlite/gathered_wal_vfs.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_connection.h"
#include "tests/support/property.h"

namespace folio::testing {
namespace {

using store::sqlite::SqliteConnection;
using store::sqlite::Statement;

// id -> the value's length and its one repeated character: what a connection reads.
using Rows = std::map<std::int64_t, std::pair<std::int64_t, std::string>>;

Rows read_rows(SqliteConnection& db) {
  Rows rows;
  Statement scan = db.prepare("SELECT id, length(v), substr(v, 1, 1) FROM t ORDER BY id");
  while (scan.step()) rows[scan.int64(0)] = {scan.int64(1), scan.text(2)};
  return rows;
}

// The table the properties write. With a page cache of a few pages (half the cases), large
// transactions spill frames to the WAL before they commit.
void create_table(SqliteConnection& writer) {
  const bool spills = *rc::gen::arbitrary<bool>();
  writer.exec_script(std::string("PRAGMA synchronous = NORMAL; PRAGMA cache_size = ") +
                     (spills ? "8" : "2000") +
                     "; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
}

// Random changes in the writer's open transaction, applied to `pending` as well: inserts of
// values from a few bytes to more than a page (overflow pages), updates of earlier rows (pages
// written again within one transaction), deletes; up to about a megabyte in all.
void random_changes(SqliteConnection& writer, Rows& pending, std::int64_t& next_id) {
  const int changes = *rc::gen::inRange(0, 300);
  for (int c = 0; c < changes; ++c) {
    const int kind = *rc::gen::inRange(0, 4);  // 0-1 insert, 2 update, 3 delete
    const std::int64_t length = *rc::gen::inRange(1, 6000);
    const std::string fill(1, static_cast<char>('a' + *rc::gen::inRange(0, 26)));
    if (kind < 2 || pending.empty()) {
      const std::int64_t id = next_id++;
      Statement insert = writer.prepare(
          "INSERT INTO t (id, v) VALUES (?1, CAST(replace(hex(zeroblob(?2)), '00', ?3) AS "
          "BLOB))");
      insert.bind(1, id).bind(2, length).bind(3, fill).execute();
      pending[id] = {length, fill};
      continue;
    }
    auto it = pending.begin();
    std::advance(it, *rc::gen::inRange(0, static_cast<int>(pending.size())));
    const std::int64_t id = it->first;
    if (kind == 2) {
      Statement update = writer.prepare(
          "UPDATE t SET v = CAST(replace(hex(zeroblob(?2)), '00', ?3) AS BLOB) WHERE id = ?1");
      update.bind(1, id).bind(2, length).bind(3, fill).execute();
      it->second = {length, fill};
    } else {
      Statement remove = writer.prepare("DELETE FROM t WHERE id = ?1");
      remove.bind(1, id).execute();
      pending.erase(it);
    }
  }
}

// Both connections read `committed`; after a checkpoint by the default VFS (as the server's
// checkpointer does) the file passes integrity_check and reads the same when opened anew.
void expect_committed_and_intact(const std::string& path, SqliteConnection& writer,
                                 SqliteConnection& reader, const Rows& committed) {
  RC_ASSERT(read_rows(reader) == committed);
  RC_ASSERT(read_rows(writer) == committed);
  reader.exec_script("PRAGMA wal_checkpoint(PASSIVE)");
  SqliteConnection reopened(path);
  Statement check = reopened.prepare("PRAGMA integrity_check");
  RC_ASSERT(check.step());
  RC_ASSERT(check.text(0) == "ok");
  RC_ASSERT(read_rows(reopened) == committed);
}

struct TempFile {
  std::filesystem::path dir;
  TempFile() {
    dir = std::filesystem::temp_directory_path() /
          ("folio-gathered-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::create_directories(dir);
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "t.db").string(); }
  static inline int counter = 0;
};

// Random transactions: inserts of values from a few bytes to more than a page (overflow
// pages), updates of earlier rows (pages written again within one transaction), deletes;
// up to about a megabyte, more than the default VFS writes in one call. With a page cache
// of a few pages, large ones spill frames to the WAL before they commit. Some roll back,
// some after spilling.
TEST(GatheredWalVfs, EveryCommitIsReadByAnotherConnectionAtOnceAndNothingElse) {
  ASSERT_STREQ(store::sqlite::gathered_wal_vfs(), "folio-gathered-wal");  // else: the default
  const auto property = [] {
    TempFile file;
    SqliteConnection writer(file.path(), /*gather_wal_writes=*/true);
    create_table(writer);
    SqliteConnection reader(file.path());
    Rows committed;
    std::int64_t next_id = 1;
    const int transactions = *rc::gen::inRange(1, 9);
    for (int t = 0; t < transactions; ++t) {
      Rows pending = committed;
      writer.exec_script("BEGIN IMMEDIATE");
      random_changes(writer, pending, next_id);
      if (*rc::gen::inRange(0, 4) == 0) {
        writer.exec_script("ROLLBACK");
      } else {
        writer.exec_script("COMMIT");
        committed = std::move(pending);
      }
      RC_ASSERT(read_rows(reader) == committed);
    }
    expect_committed_and_intact(file.path(), writer, reader, committed);
  };
  EXPECT_TRUE(check_cases("gathered WAL commits", kPropertyCases, 100, property));
}

// A VFS over the default one whose WAL files fail one chosen write (SQLITE_IOERR_WRITE, as a
// failing disk would), every other write going through: the gathered VFS is registered over
// it, so a failure can meet any of the writes it holds back, rewrites or flushes.
class FailingWal {
 public:
  static constexpr const char* kGathered = "folio-gathered-over-failing-wal";

  // Registers both VFSs (once) and returns the gathered one's name.
  static const char* gathered_over_failing() {
    static const char* const name = [] {
      static sqlite3_vfs vfs = *sqlite3_vfs_find(nullptr);
      base_ = sqlite3_vfs_find(nullptr);
      vfs.zName = "folio-failing-wal";
      vfs.pNext = nullptr;
      vfs.xOpen = open;
      if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return static_cast<const char*>(nullptr);
      return store::sqlite::gathered_wal_vfs_over(vfs.zName, kGathered);
    }();
    return name;
  }

  // The `n`th WAL write from now (0: the next one) fails; -1: none.
  static void fail_write(int n) { writes_until_failure_ = n; }
  static int failures() { return failures_; }

 private:
  static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
                  int* out_flags) {
    const int rc = base_->xOpen(base_, name, file, flags, out_flags);
    if (rc != SQLITE_OK || (flags & SQLITE_OPEN_WAL) == 0) return rc;
    if (!base_methods_) {
      base_methods_ = file->pMethods;
      methods_ = *base_methods_;
      methods_.xWrite = write;
    }
    if (file->pMethods == base_methods_) file->pMethods = &methods_;
    return rc;
  }
  static int write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    if (writes_until_failure_ >= 0 && writes_until_failure_-- == 0) {
      ++failures_;
      return SQLITE_IOERR_WRITE;
    }
    return base_methods_->xWrite(file, data, amount, offset);
  }

  static inline sqlite3_vfs* base_ = nullptr;
  static inline const sqlite3_io_methods* base_methods_ = nullptr;
  static inline sqlite3_io_methods methods_{};
  static inline int writes_until_failure_ = -1;  // the writer's thread only
  static inline int failures_ = 0;
};

// Transactions as above, each with one of its WAL writes failing (or none): a transaction
// whose write failed reports it, at the statement or at its COMMIT, and leaves nothing; every
// COMMIT that succeeded is read by another connection at once; afterwards the connection
// writes again and the file is intact.
TEST(GatheredWalVfs, AFailedWalWriteFailsItsTransactionAndNoCommitIsLost) {
  const char* const vfs = FailingWal::gathered_over_failing();
  ASSERT_NE(vfs, nullptr);
  int failed_commits = 0;
  int commits_after_a_failure = 0;
  const auto property = [&] {
    TempFile file;
    SqliteConnection writer(file.path(), vfs);
    create_table(writer);
    SqliteConnection reader(file.path());
    Rows committed;
    std::int64_t next_id = 1;
    bool failed_before = false;
    const int transactions = *rc::gen::inRange(1, 9);
    for (int t = 0; t < transactions; ++t) {
      Rows pending = committed;
      const bool commits = *rc::gen::inRange(0, 4) != 0;
      // A commit without spills writes its frames in a few calls (pieces of 120 KiB).
      FailingWal::fail_write(*rc::gen::arbitrary<bool>() ? -1 : *rc::gen::inRange(0, 8));
      const int failures = FailingWal::failures();
      bool failed = false;
      bool at_commit = false;
      try {
        writer.exec_script("BEGIN IMMEDIATE");
        random_changes(writer, pending, next_id);
        at_commit = true;
        writer.exec_script(commits ? "COMMIT" : "ROLLBACK");
      } catch (const std::exception&) {
        failed = true;
      }
      FailingWal::fail_write(-1);
      if (failed) {
        // Only a write that failed fails a transaction here.
        RC_ASSERT(FailingWal::failures() > failures);
        if (!writer.in_autocommit()) writer.exec_script("ROLLBACK");
        if (at_commit && commits) ++failed_commits;
        failed_before = true;
      } else if (commits) {
        committed = std::move(pending);
        if (failed_before) ++commits_after_a_failure;
      }
      RC_ASSERT(read_rows(reader) == committed);
    }
    writer.exec_script("INSERT INTO t (id, v) VALUES (0, CAST('last' AS BLOB))");
    committed[0] = {4, "l"};
    expect_committed_and_intact(file.path(), writer, reader, committed);
  };
  EXPECT_TRUE(
      check_cases("gathered WAL commits with a failing write", kPropertyCases, 100, property));
  // The failures met the commits' own writes, and commits went on after failures.
  EXPECT_GE(failed_commits, 3);
  EXPECT_GE(commits_after_a_failure, 3);
  std::printf("%d commits failed, %d commits after a failure\n", failed_commits,
              commits_after_a_failure);
}

}  // namespace
}  // namespace folio::testing
