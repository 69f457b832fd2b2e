// SQLite's write lock held by another connection (another process, a CLI tool): a write
// waits for it at most StoreOptions::lock_wait in all, counted from when it was queued.
// The one writer runs its batches one after the other, so a write queued while the batch
// ahead of it waits for the lock has already spent part of its wait there.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "store/event_store.h"
#include "store/store_error.h"
#include "tests/support/held_transaction.h"
#include "tests/support/test_database.h"

namespace folio::testing {
namespace {

using namespace std::chrono_literals;

store::Verdict write_nothing(store::Transaction&) { return store::Verdict::commit; }

TEST(SqliteLockWait, AWriteQueuedBehindAWaitingBatchWaitsItsLockWaitOnlyOnce) {
  auto db = TestDatabase::create_migrated(Backend::sqlite);
  store::StoreOptions options;
  options.lock_wait = 3s;
  auto store = db->open_store(options);
  HeldTransaction held(*db, store::Access::read_write, [](store::Transaction&) {});

  // The first write's batch waits for the lock; the second is queued behind it.
  auto first = std::async(std::launch::async,
                          [&] { store->transact(store::Access::read_write, write_nothing); });
  std::this_thread::sleep_for(1s);
  const auto queued = std::chrono::steady_clock::now();
  EXPECT_THROW(store->transact(store::Access::read_write, write_nothing), store::StoreUnavailable);
  const auto waited = std::chrono::steady_clock::now() - queued;
  EXPECT_THROW(first.get(), store::StoreUnavailable);

  // Its own 3 s, not the 2 s left of the first batch's wait and then 3 s more (5 s).
  EXPECT_GE(waited, 2900ms);  // less the rounding to whole milliseconds
  EXPECT_LT(waited, 4500ms);

  held.release();
  EXPECT_NO_THROW(store->transact(store::Access::read_write, write_nothing))
      << "the same write succeeds once the lock is gone";
}

}  // namespace
}  // namespace folio::testing
