// The SQLite writer's VFS (store/sqlite/gathered_wal_vfs.h), which holds a transaction's WAL
// frames back and writes them at its commit: whatever it held back, another connection (on
// the default VFS, as the server's readers and checkpointer are) reads every commit the
// moment COMMIT returns, a rolled-back transaction leaves nothing, and the file is intact.
#include "store/sqlite/gathered_wal_vfs.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <unistd.h>

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
    const bool spills = *rc::gen::arbitrary<bool>();
    writer.exec_script(std::string("PRAGMA synchronous = NORMAL; PRAGMA cache_size = ") +
                       (spills ? "8" : "2000") +
                       "; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
    SqliteConnection reader(file.path());
    Rows committed;
    std::int64_t next_id = 1;
    const int transactions = *rc::gen::inRange(1, 9);
    for (int t = 0; t < transactions; ++t) {
      Rows pending = committed;
      writer.exec_script("BEGIN IMMEDIATE");
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
      if (*rc::gen::inRange(0, 4) == 0) {
        writer.exec_script("ROLLBACK");
      } else {
        writer.exec_script("COMMIT");
        committed = std::move(pending);
      }
      RC_ASSERT(read_rows(reader) == committed);
    }
    RC_ASSERT(read_rows(writer) == committed);
    // Checkpointed by the default VFS, as the server's checkpointer does, then opened anew.
    reader.exec_script("PRAGMA wal_checkpoint(PASSIVE)");
    SqliteConnection reopened(file.path());
    Statement check = reopened.prepare("PRAGMA integrity_check");
    RC_ASSERT(check.step());
    RC_ASSERT(check.text(0) == "ok");
    RC_ASSERT(read_rows(reopened) == committed);
  };
  EXPECT_TRUE(check_cases("gathered WAL commits", kPropertyCases, 100, property));
}

}  // namespace
}  // namespace folio::testing
