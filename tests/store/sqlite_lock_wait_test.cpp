// SQLite's write lock held by another connection (another process, a CLI tool): a write
// waits for it at most StoreOptions::lock_wait in all, counted from when it was queued.
// The one writer runs its batches one after the other, so a write queued while the batch
// ahead of it waits for the lock has already spent part of its wait there; and the writes
// of one batch were queued at different times, so each has its own time left.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "store/event_store.h"
#include "store/store_error.h"
#include "tests/support/held_transaction.h"
#include "tests/support/test_database.h"

namespace folio::testing {
namespace {

using namespace std::chrono_literals;

store::Verdict write_nothing(store::Transaction&) { return store::Verdict::commit; }

// Timed from the start (t = 0 s), with a 4 s lock_wait: A's batch waits for the lock
// alone; B (queued at 1 s) and C (at 3 s) wait behind it and then share the next batch.
TEST(SqliteLockWait, EachWriteWaitsItsOwnLockWaitOnceWhateverTheBatchesAheadOfItWaited) {
  auto db = TestDatabase::create_migrated(Backend::sqlite);
  store::StoreOptions options;
  options.lock_wait = 4s;
  auto store = db->open_store(options);
  HeldTransaction held(*db, store::Access::read_write, [](store::Transaction&) {});

  const auto write = [&] {
    const auto queued = std::chrono::steady_clock::now();
    try {
      store->transact(store::Access::read_write, write_nothing);
    } catch (const store::StoreUnavailable&) {
      return std::optional(std::chrono::steady_clock::now() - queued);
    }
    return std::optional<std::chrono::steady_clock::duration>();  // it went through
  };
  auto a = std::async(std::launch::async, write);
  std::this_thread::sleep_for(1s);
  auto b = std::async(std::launch::async, write);
  std::this_thread::sleep_for(2s);
  auto c = std::async(std::launch::async, write);
  std::this_thread::sleep_for(3s);  // t = 6 s: A's and B's time is up (4 s, 5 s), not C's
  held.release();

  const auto a_waited = a.get(), b_waited = b.get(), c_waited = c.get();
  ASSERT_TRUE(a_waited.has_value()) << "A's 4 s ran out under the lock";
  ASSERT_TRUE(b_waited.has_value()) << "B's 4 s ran out under the lock";
  // B waited its own 4 s (less the rounding to milliseconds), not the 1 s A's batch had
  // left and then 4 s more.
  EXPECT_GE(*b_waited, 3900ms);
  EXPECT_LT(*b_waited, 5500ms);
  // C shared B's batch, but B's time running out did not end C's wait: the lock was gone
  // 3 s after C was queued, and C went through.
  EXPECT_FALSE(c_waited.has_value()) << "C was refused after " << c_waited->count() << " ns";
}

}  // namespace
}  // namespace folio::testing
