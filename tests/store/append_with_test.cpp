// Transaction::append_with (an event and a row of the layers above, both or neither) and
// Access::lazy_write (PostgreSQL: BEGIN only when a statement needs it; a unit whose one
// write is an append_with runs without a transaction). The row here is access_epoch's,
// guarded by its value as a read model's row is guarded by its version.
#include <gtest/gtest.h>

#include <stdexcept>

#include "store/event_store.h"
#include "store/store_error.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using store::Access;
using store::AppendResult;
using store::ExpectedVersion;
using store::SqlValue;
using store::Transaction;
using store::Verdict;
using Status = AppendResult::Status;

class AppendWith : public StoreTest {
 protected:
  // append_with of one event, the row guarded by `if_epoch`, in a lazy_write unit.
  AppendResult append_with(const std::string& stream, ExpectedVersion expected,
                           std::int64_t set_epoch, std::int64_t if_epoch) {
    AppendResult result;
    const std::vector<SqlValue> params{set_epoch, if_epoch};
    store_->transact(Access::lazy_write, [&](Transaction& tx) {
      result = tx.append_with(stream, expected, make_event("ProjectUpdated", "with-row"),
                              make_metadata(), {kGuardedRow, params});
      return result.ok() ? Verdict::commit : Verdict::rollback;
    });
    return result;
  }
};

TEST_P(AppendWith, WritesTheRowAndTheEventTogether) {
  ASSERT_EQ(access_epoch(), 1);
  const auto created = append_with("project-a", ExpectedVersion::no_stream(), 5, 1);
  EXPECT_EQ(created.status, Status::appended);
  EXPECT_EQ(created.stream_version, 1);
  const auto updated = append_with("project-a", ExpectedVersion::exactly(1), 6, 5);
  EXPECT_EQ(updated.status, Status::appended);
  EXPECT_EQ(updated.stream_version, 2);
  EXPECT_GT(updated.first_position, created.first_position);
  EXPECT_EQ(access_epoch(), 6);
  const auto events = store_->read_stream("project-a");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].payload, "with-row");
  EXPECT_EQ(events[1].metadata.user_id, "user-1");
}

TEST_P(AppendWith, WritesNothingWhenItsRowDidNotChange) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(1, "a")).status,
            Status::appended);
  const auto before = everything();
  const auto r = append_with("project-a", ExpectedVersion::exactly(1), 9, 2);  // epoch is 1
  EXPECT_EQ(r.status, Status::version_mismatch);
  EXPECT_EQ(r.stream_version, 1);
  EXPECT_TRUE(SameEvents(everything(), before));
  EXPECT_EQ(access_epoch(), 1);
}

// The row's guard holds but the stream's does not: a read model and a stream that disagree
// (only a write that bypassed Folio does that). Refused as corruption; neither is written.
TEST_P(AppendWith, RefusesARowWhoseStreamDisagreesAndWritesNeither) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(2, "a")).status,
            Status::appended);
  const auto before = everything();
  EXPECT_THROW(append_with("project-a", ExpectedVersion::exactly(1), 9, 1), store::StoreCorrupt);
  EXPECT_TRUE(SameEvents(everything(), before));
  EXPECT_EQ(access_epoch(), 1);
}

// A command run again: its row has moved on (its guard fails), and the answer is the
// original append's.
TEST_P(AppendWith, ARepeatedCommandIdWritesNothingAndAnswersTheOriginal) {
  const std::vector<SqlValue> first{std::int64_t{2}, std::int64_t{1}};
  const std::vector<SqlValue> second{std::int64_t{3}, std::int64_t{1}};
  AppendResult original, repeated;
  for (auto [params, result] : {std::pair{&first, &original}, std::pair{&second, &repeated}}) {
    // Captured by name: clang 14 cannot capture structured bindings.
    store_->transact(Access::lazy_write, [&, params = params, result = result](Transaction& tx) {
      *result = tx.append_with("project-a", ExpectedVersion::no_stream(),
                               make_event("ProjectCreated", "x"), make_metadata("command-1"),
                               {kGuardedRow, *params});
      return result->status == Status::appended ? Verdict::commit : Verdict::rollback;
    });
  }
  EXPECT_EQ(original.status, Status::appended);
  EXPECT_EQ(repeated.status, Status::duplicate);
  EXPECT_EQ(repeated.first_position, original.first_position);
  EXPECT_EQ(everything().size(), 1u);
  EXPECT_EQ(access_epoch(), 2);
}

// What a lazy_write unit began, it ends: a rollback verdict or an exception leaves nothing.
TEST_P(AppendWith, LazyWriteUnitsRollBackWhatTheyBegan) {
  const std::vector<SqlValue> params{std::int64_t{7}, std::int64_t{1}};
  store_->transact(Access::lazy_write, [&](Transaction& tx) {
    tx.lock_key("test:lazy");
    EXPECT_EQ(tx.execute(kGuardedRow, params), 1u);
    return Verdict::rollback;
  });
  EXPECT_EQ(access_epoch(), 1);
  EXPECT_THROW(store_->transact(Access::lazy_write,
                                [&](Transaction& tx) -> Verdict {
                                  EXPECT_EQ(tx.execute(kGuardedRow, params), 1u);
                                  throw std::runtime_error("the unit fails");
                                }),
               std::runtime_error);
  EXPECT_EQ(access_epoch(), 1);
  // The connection is usable and outside any transaction afterwards.
  EXPECT_EQ(append_with("project-a", ExpectedVersion::no_stream(), 8, 1).status, Status::appended);
  EXPECT_EQ(access_epoch(), 8);
}

// On PostgreSQL the one-statement write of a lazy_write unit commits by itself, so nothing
// may be written after it (it could not be rolled back with it).
TEST_P(AppendWith, NothingIsWrittenAfterAnAutocommittedWrite) {
  if (GetParam() != Backend::postgres) GTEST_SKIP() << "SQLite runs lazy_write as read_write";
  const std::vector<SqlValue> guarded{std::int64_t{3}, std::int64_t{1}};
  const std::vector<SqlValue> later{std::int64_t{4}, std::int64_t{3}};
  EXPECT_THROW(store_->transact(Access::lazy_write,
                                [&](Transaction& tx) {
                                  tx.append_with("project-a", ExpectedVersion::no_stream(),
                                                 make_event("ProjectCreated", "x"), make_metadata(),
                                                 {kGuardedRow, guarded});
                                  tx.execute(kGuardedRow, later);
                                  return Verdict::commit;
                                }),
               store::StoreUsageError);
  EXPECT_EQ(access_epoch(), 3);  // the append_with's row, and not the later write
  EXPECT_EQ(everything().size(), 1u);
}

// A database error inside a lazy_write unit that began a transaction (here a unique
// violation after a lock) rolls it back, and the connection serves the next units: with one
// connection in the pool, a transaction left open would fail or swallow the next ones.
TEST_P(AppendWith, ADatabaseErrorInABegunLazyUnitLeavesTheConnectionClean) {
  auto one_connection = db_->open_store({.connections = 1});
  const std::vector<SqlValue> guarded{std::int64_t{7}, std::int64_t{1}};
  const std::vector<SqlValue> duplicate{std::int64_t{1}, std::int64_t{9}};
  static constexpr const char* kInsertRow = "INSERT INTO access_epoch (id, epoch) VALUES ($1, $2)";
  for (int round = 0; round < 2; ++round) {
    EXPECT_THROW(one_connection->transact(Access::lazy_write,
                                          [&](Transaction& tx) {
                                            tx.lock_key("test:lazy");
                                            EXPECT_EQ(tx.execute(kGuardedRow, guarded), 1u);
                                            tx.execute(kInsertRow, duplicate);  // id 1 exists
                                            return Verdict::commit;
                                          }),
                 store::UniqueViolation);
  }
  EXPECT_EQ(access_epoch(), 1);  // rolled back, seen from another connection
  AppendResult result;
  one_connection->transact(Access::lazy_write, [&](Transaction& tx) {
    result =
        tx.append_with("project-a", ExpectedVersion::no_stream(), make_event("ProjectCreated", "x"),
                       make_metadata(), {kGuardedRow, guarded});
    return Verdict::commit;
  });
  EXPECT_EQ(result.status, Status::appended);
  EXPECT_EQ(access_epoch(), 7);  // committed, seen from another connection
  EXPECT_EQ(everything().size(), 1u);
}

// The same command id at a later version (a client reusing its Idempotency-Key): the row's
// guard would pass, but the command is a duplicate, so nothing is written and the answer
// is the original append (not a disagreement between the row and the stream).
TEST_P(AppendWith, ARepeatedCommandIdWhoseRowGuardPassesIsADuplicate) {
  const std::vector<SqlValue> first{std::int64_t{2}, std::int64_t{1}};
  const std::vector<SqlValue> later{std::int64_t{3}, std::int64_t{2}};  // passes: epoch is 2
  AppendResult original;
  store_->transact(Access::lazy_write, [&](Transaction& tx) {
    original =
        tx.append_with("project-a", ExpectedVersion::no_stream(), make_event("ProjectCreated", "x"),
                       make_metadata(), {kGuardedRow, first});
    return Verdict::commit;
  });
  ASSERT_EQ(original.status, Status::appended);
  AppendResult updated;
  store_->transact(Access::lazy_write, [&](Transaction& tx) {
    updated = tx.append_with("project-a", ExpectedVersion::exactly(1),
                             make_event("ProjectUpdated", "y"), make_metadata("key-1"),
                             {kGuardedRow, first});  // first's guard no longer holds: 0 rows
    return Verdict::commit;
  });
  EXPECT_EQ(updated.status, Status::version_mismatch);
  store_->transact(Access::lazy_write, [&](Transaction& tx) {
    updated =
        tx.append_with("project-a", ExpectedVersion::exactly(1), make_event("ProjectUpdated", "y"),
                       make_metadata("key-1"), {kGuardedRow, later});
    return updated.ok() ? Verdict::commit : Verdict::rollback;
  });
  ASSERT_EQ(updated.status, Status::appended);
  EXPECT_EQ(access_epoch(), 3);
  AppendResult repeated_later;
  const std::vector<SqlValue> next{std::int64_t{4}, std::int64_t{3}};  // would pass
  store_->transact(Access::lazy_write, [&](Transaction& tx) {
    repeated_later =
        tx.append_with("project-a", ExpectedVersion::exactly(2), make_event("ProjectUpdated", "z"),
                       make_metadata("key-1"), {kGuardedRow, next});
    return repeated_later.status == Status::appended ? Verdict::commit : Verdict::rollback;
  });
  EXPECT_EQ(repeated_later.status, Status::duplicate);
  EXPECT_EQ(repeated_later.first_position, updated.first_position);
  EXPECT_EQ(access_epoch(), 3);
  EXPECT_EQ(everything().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AppendWith, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
