// SQLite's write-ahead log under a writer that never pauses: its checkpoints run beside the
// writer (store/sqlite/wal_checkpointer.h), and the log must still start over rather than
// grow with every write. The WAL file's size is its high-water mark: SQLite reuses it from
// the start after a complete checkpoint instead of truncating it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/event_store.h"
#include "tests/support/store_test.h"
#include "tests/support/test_database.h"

namespace folio::testing {
namespace {

using store::ExpectedVersion;

TEST(SqliteWal, StaysBoundedUnderWritesThatNeverPause) {
  auto database = TestDatabase::create_migrated(Backend::sqlite);
  const std::string wal = database->location() + "-wal";
  constexpr int kWriters = 8;
  constexpr int kAppendsEach = 1500;
  {
    auto store = database->open_store();
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < kAppendsEach; ++i) {
          // A payload of most of a page: each commit writes a few pages of its own.
          store->append("project-" + std::to_string(w), ExpectedVersion::any(),
                        make_events(1, std::string(3000, 'x') + std::to_string(i)),
                        make_metadata());
        }
      });
    }
    for (auto& writer : writers) writer.join();
    EXPECT_EQ(store->read_all(0, kWriters * kAppendsEach + 1).size(),
              static_cast<std::size_t>(kWriters * kAppendsEach));
    const auto size = std::filesystem::file_size(wal);
    // 12,000 commits of about two pages each: a log that never started over holds them all
    // (142 MB when the writer's finishing checkpoint was left out). One that does holds the
    // checkpoint threshold (4,000 pages, 16 MB) and what was written while a checkpoint ran.
    // The bound leaves room for a slower (sanitized) build.
    RecordProperty("wal_bytes", std::to_string(size));
    EXPECT_LT(size, 48u << 20) << "the WAL grew to " << size << " bytes";
  }
}

}  // namespace
}  // namespace folio::testing
