// A unit of work decided on a Transaction that only keeps its one write (AppendCapture),
// the write then run in a transaction of the store: what SQLite's writer does with an update
// decided on remembered rows. The write is the one the unit would have made (its event, its
// row), and when the row or the stream moved between the decision and the replay it writes
// nothing, as append_with does. The row here is access_epoch's, guarded by its value as a
// read model's row is guarded by its version (as in append_with_test.cpp).
#include "store/append_capture.h"

#include <gtest/gtest.h>

#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using store::AppendCapture;
using store::AppendResult;
using store::ExpectedVersion;
using store::SqlValue;
using store::Transaction;
using store::Verdict;

class AppendCaptureTest : public StoreTest {
 protected:
  // The unit of append_with_test.cpp, decided on `capture`: its event, and the epoch moved
  // from `if_epoch` to `set_epoch`.
  static void decide(AppendCapture& capture, ExpectedVersion expected, std::int64_t set_epoch,
                     std::int64_t if_epoch) {
    const std::vector<SqlValue> params{set_epoch, if_epoch};
    const auto answer =
        capture.append_with("project-a", expected, make_event("ProjectUpdated", "p"),
                            make_metadata(), {kGuardedRow, params});
    EXPECT_EQ(answer.status, AppendResult::Status::appended);
    EXPECT_EQ(answer.first_position, 0) << "no position before the write runs";
  }

  AppendResult replay(const AppendCapture& capture) {
    AppendResult result;
    store_->transact(store::Access::read_write, [&](Transaction& tx) {
      result = capture.replay(tx);
      return result.ok() ? Verdict::commit : Verdict::rollback;
    });
    return result;
  }
};

TEST_P(AppendCaptureTest, TheKeptWriteRunsLaterAsTheUnitWouldHaveRunIt) {
  AppendCapture capture;
  EXPECT_FALSE(capture.captured());
  decide(capture, ExpectedVersion::no_stream(), 5, 1);
  ASSERT_TRUE(capture.captured());
  EXPECT_EQ(store_->stream_version("project-a"), 0) << "capturing writes nothing";
  EXPECT_EQ(access_epoch(), 1);

  const AppendResult result = replay(capture);
  EXPECT_EQ(result.status, AppendResult::Status::appended);
  EXPECT_EQ(result.stream_version, 1);
  EXPECT_GT(result.first_position, 0);
  EXPECT_EQ(access_epoch(), 5);
  const auto events = everything();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].stream_id, "project-a");
  EXPECT_EQ(events[0].event_type, "ProjectUpdated");
  EXPECT_EQ(events[0].global_position, result.first_position);
}

TEST_P(AppendCaptureTest, AReplayAfterTheRowOrTheStreamMovedWritesNothing) {
  AppendCapture stale_row;
  decide(stale_row, ExpectedVersion::no_stream(), 5, 1);
  AppendCapture first;
  decide(first, ExpectedVersion::no_stream(), 2, 1);
  ASSERT_EQ(replay(first).status, AppendResult::Status::appended);  // epoch 1 -> 2, version 1

  // The row's guard (epoch 1) no longer holds.
  EXPECT_EQ(replay(stale_row).status, AppendResult::Status::version_mismatch);
  // The row's guard holds (epoch 2), the stream's expectation (version 2; it is at 1) does
  // not: only a write that bypassed Folio makes them disagree.
  AppendCapture stale_stream;
  decide(stale_stream, ExpectedVersion::exactly(2), 7, 2);
  EXPECT_THROW(replay(stale_stream), store::StoreCorrupt)
      << "a row that moved while its stream did not is the store's inconsistency";
  EXPECT_EQ(access_epoch(), 2);
  EXPECT_EQ(store_->stream_version("project-a"), 1);
  EXPECT_EQ(everything().size(), 1u);
}

TEST_P(AppendCaptureTest, AnythingButTheOneWriteNeedsTheStore) {
  AppendCapture capture;
  EXPECT_THROW(capture.query("SELECT epoch FROM access_epoch", {}), store::NeedsTheStore);
  decide(capture, ExpectedVersion::no_stream(), 5, 1);
  const std::vector<SqlValue> params{std::int64_t{6}, std::int64_t{5}};
  EXPECT_THROW(capture.append_with("project-b", ExpectedVersion::no_stream(),
                                   make_event("ProjectUpdated", "q"), make_metadata(),
                                   {kGuardedRow, params}),
               store::NeedsTheStore);
  AppendCapture empty;
  EXPECT_THROW(replay(empty), store::StoreUsageError);
}

INSTANTIATE_TEST_SUITE_P(Backends, AppendCaptureTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), BackendName());

}  // namespace
}  // namespace folio::testing
