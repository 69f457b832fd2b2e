// A unit of work's one write captured instead of sent (EventStore::capture_write) and handed
// to a pipe (StatementPipe::submit_write), as an event loop does with an update it decided
// on rows it already had: on PostgreSQL it commits through group commit and answers with its
// position, or with 0 and nothing written when its guard no longer holds; a unit that does
// anything but its one write is not captured. SQLite captures nothing (its units run as
// before). The row here is access_epoch's, guarded by its value as a read model's row is
// guarded by its version (as in append_with_test.cpp).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "store/event_store.h"
#include "store/statement_pipe.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using store::Access;
using store::ExpectedVersion;
using store::SqlValue;
using store::Transaction;
using store::Verdict;
using store::WriteAnswer;

constexpr const char* kEpoch = "SELECT epoch FROM access_epoch";  // a read

// What a write's `done` was told, from whichever thread told it.
struct WriteOutcome {
  std::mutex mutex;
  std::condition_variable told;
  int calls = 0;
  WriteAnswer answer = WriteAnswer::failed;
  std::int64_t position = -1;

  store::StatementPipe::WriteDone done() {
    return [this](WriteAnswer a, std::int64_t p) {
      std::lock_guard lock(mutex);
      ++calls;
      answer = a;
      position = p;
      told.notify_all();
    };
  }
  bool wait() {
    std::unique_lock lock(mutex);
    return told.wait_for(lock, std::chrono::seconds(10), [this] { return calls > 0; });
  }
};

class PipedWrite : public StoreTest {
 protected:
  // The unit append_with_test.cpp runs, captured: the event and the epoch moved from
  // `if_epoch` to `set_epoch`.
  std::unique_ptr<store::PipedWrite> capture(ExpectedVersion expected, std::int64_t set_epoch,
                                             std::int64_t if_epoch) {
    const std::vector<SqlValue> params{set_epoch, if_epoch};
    return store_->capture_write([&](Transaction& tx) {
      const auto result = tx.append_with("project-a", expected, make_event("ProjectUpdated", "p"),
                                         make_metadata(), {kGuardedRow, params});
      return result.ok() ? Verdict::commit : Verdict::rollback;
    });
  }
  bool postgres() const { return GetParam() == Backend::postgres; }
};

TEST_P(PipedWrite, ACapturedWriteCommitsThroughThePipeWithItsPosition) {
  auto write = capture(ExpectedVersion::no_stream(), 5, 1);
  if (!postgres()) {
    EXPECT_EQ(write, nullptr) << "SQLite's units run the usual way";
    EXPECT_EQ(store_->open_statement_pipe(), nullptr);
    return;
  }
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(store_->stream_version("project-a"), 0) << "capturing sends nothing";
  EXPECT_EQ(access_epoch(), 1);
  const auto pipe = store_->open_statement_pipe();
  WriteOutcome outcome;
  pipe->submit_write(std::move(write), outcome.done());
  ASSERT_TRUE(outcome.wait()) << "no answer within 10 s";
  EXPECT_EQ(outcome.answer, WriteAnswer::committed);
  const auto events = everything();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(outcome.position, events[0].global_position);
  EXPECT_EQ(events[0].stream_id, "project-a");
  EXPECT_EQ(events[0].stream_version, 1);
  EXPECT_EQ(events[0].metadata.user_id, "user-1");
  EXPECT_EQ(access_epoch(), 5);
  EXPECT_EQ(outcome.calls, 1);
}

TEST_P(PipedWrite, AWriteWhoseGuardMovedAnswersZeroAndWritesNothing) {
  if (!postgres()) GTEST_SKIP() << "SQLite captures nothing (first test)";
  const auto pipe = store_->open_statement_pipe();
  // Both decided on epoch 1 and stream version 0; only the first can hold.
  auto first = capture(ExpectedVersion::no_stream(), 5, 1);
  auto second = capture(ExpectedVersion::no_stream(), 7, 1);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  WriteOutcome a, b;
  pipe->submit_write(std::move(first), a.done());
  ASSERT_TRUE(a.wait());
  pipe->submit_write(std::move(second), b.done());
  ASSERT_TRUE(b.wait());
  EXPECT_EQ(a.answer, WriteAnswer::committed);
  EXPECT_GT(a.position, 0);
  EXPECT_EQ(b.answer, WriteAnswer::committed);
  EXPECT_EQ(b.position, 0) << "the second's row and stream had moved";
  EXPECT_EQ(everything().size(), 1u);
  EXPECT_EQ(access_epoch(), 5);
}

TEST_P(PipedWrite, AUnitThatDoesMoreThanItsOneWriteIsNotCaptured) {
  const std::vector<SqlValue> params{5, 1};
  auto reads = store_->capture_write([&](Transaction& tx) {
    tx.query(kEpoch, {});
    return Verdict::commit;
  });
  EXPECT_EQ(reads, nullptr);
  auto writes_twice = store_->capture_write([&](Transaction& tx) {
    tx.append_with("project-a", ExpectedVersion::no_stream(), make_event("ProjectCreated", "1"),
                   make_metadata(), {kGuardedRow, params});
    tx.append_with("project-b", ExpectedVersion::no_stream(), make_event("ProjectCreated", "2"),
                   make_metadata(), {kGuardedRow, params});
    return Verdict::commit;
  });
  EXPECT_EQ(writes_twice, nullptr);
  auto rolls_back = store_->capture_write([&](Transaction& tx) {
    tx.append_with("project-a", ExpectedVersion::no_stream(), make_event("ProjectCreated", "1"),
                   make_metadata(), {kGuardedRow, params});
    return Verdict::rollback;
  });
  EXPECT_EQ(rolls_back, nullptr);
  EXPECT_TRUE(everything().empty());
  EXPECT_EQ(access_epoch(), 1);
}

TEST_P(PipedWrite, ManyWritesFromManyThreadsEachCommitOnceInTheirStreams) {
  if (!postgres()) GTEST_SKIP() << "SQLite captures nothing (first test)";
  // One stream each, guarded by the stream's version alone (the row: a no-op update).
  constexpr const char* kAnyRow = "UPDATE access_epoch SET epoch = epoch WHERE $1::bigint = 0";
  constexpr int kThreads = 4, kWrites = 25;
  const auto pipe = store_->open_statement_pipe();
  std::mutex pipe_mutex;  // a pipe serves one thread; answers come from the group's
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string stream = "project-t" + std::to_string(t);
      for (int v = 0; v < kWrites; ++v) {
        const std::vector<SqlValue> params{std::int64_t{0}};
        auto write = store_->capture_write([&](Transaction& tx) {
          const auto expected = v == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exactly(v);
          tx.append_with(stream, expected, make_event("ProjectUpdated", std::to_string(v)),
                         make_metadata(), {kAnyRow, params});
          return Verdict::commit;
        });
        WriteOutcome outcome;
        {
          std::lock_guard lock(pipe_mutex);
          pipe->submit_write(std::move(write), outcome.done());
        }
        if (!outcome.wait() || outcome.answer != WriteAnswer::committed || outcome.position <= 0) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    const auto events = store_->read_stream("project-t" + std::to_string(t));
    ASSERT_EQ(events.size(), static_cast<std::size_t>(kWrites));
    for (int v = 0; v < kWrites; ++v) EXPECT_EQ(events[v].payload, std::to_string(v));
  }
}

// A stopping server waits with wait_for_async_writes until every write it handed over
// without waiting (a captured write on PostgreSQL, transact_async's unit on SQLite) has been
// answered, here one held up by a lock another connection holds.
TEST_P(PipedWrite, WaitingForAsyncWritesReturnsOnlyOnceEachHasBeenAnswered) {
  const auto other = db_->open_store();
  std::promise<void> locked, release;
  std::thread holder([&] {
    other->transact(Access::read_write, [&](Transaction& tx) {
      // PostgreSQL: the row the write must change; SQLite: BEGIN IMMEDIATE's write lock.
      if (postgres()) tx.query("SELECT epoch FROM access_epoch FOR UPDATE", {});
      locked.set_value();
      release.get_future().wait();
      return Verdict::rollback;
    });
  });
  locked.get_future().wait();

  WriteOutcome outcome;
  if (postgres()) {
    const auto pipe = store_->open_statement_pipe();
    pipe->submit_write(capture(ExpectedVersion::no_stream(), 5, 1), outcome.done());
  } else {
    const std::vector<SqlValue> params{std::int64_t{5}, std::int64_t{1}};
    const auto done = outcome.done();
    ASSERT_TRUE(store_->transact_async(
        [params](Transaction& tx) {
          const auto result = tx.append_with("project-a", ExpectedVersion::no_stream(),
                                             make_event("ProjectUpdated", "p"), make_metadata(),
                                             {kGuardedRow, params});
          return result.ok() ? Verdict::commit : Verdict::rollback;
        },
        [done](std::exception_ptr error) {
          done(error ? WriteAnswer::failed : WriteAnswer::committed, 0);
        }));
  }
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    store_->wait_for_async_writes();
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(returned.load()) << "returned while the write was still out";
  release.set_value();
  holder.join();
  waiter.join();
  {
    std::lock_guard lock(outcome.mutex);
    EXPECT_EQ(outcome.calls, 1) << "wait_for_async_writes returned before the answer";
    EXPECT_EQ(outcome.answer, WriteAnswer::committed);
  }
  EXPECT_EQ(access_epoch(), 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, PipedWrite,
                         ::testing::Values(Backend::sqlite, Backend::postgres), BackendName());

}  // namespace
}  // namespace folio::testing
