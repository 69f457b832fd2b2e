// Group commit's merged statements (store/postgres/pg_merged_writes.h): the updates of one
// batch whose row writes share a shape run as one statement, and each gets what it would
// have got alone: its own position, nothing written when its guard (version, access epoch,
// command id) fails, and a second write to a stream runs after the first. A merged
// statement that fails fails its batch, which writes nothing. Creations merge the same way.
#include "store/postgres/pg_merged_writes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>

#include "store/log_verifier.h"
#include "store/postgres/pg_transaction.h"
#include "tests/support/group_commit_test.h"

namespace folio::testing {
namespace {

using store::ExpectedVersion;
using store::RowWriteShape;
using store::SqlValue;
using store::postgres::GroupWrite;
using Outcome = GroupWrite::Outcome;

// A read model's row for these tests, and its update as projections/read_model.cpp writes
// one: guarded by the row's version and, in the second form, by the access epoch.
constexpr const char* kUpdate =
    "UPDATE mw_rows SET version = $2, note = $3 WHERE id = $1"
    " AND version = $4";
constexpr const char* kUpdateAtEpoch =
    "UPDATE mw_rows SET version = $2, note = $3 WHERE id = $1 AND version = $4"
    " AND (SELECT epoch FROM access_epoch) = $5";
constexpr const char* kMergedInsert = "INSERT INTO mw_rows (id, version, note) VALUES ($1, $2, $3)";
const std::vector<std::pair<std::string, std::string>> kColumns{
    {"id", "TEXT"}, {"version", "BIGINT"}, {"note", "TEXT"}};
const RowWriteShape kShape{.table = "mw_rows", .columns = kColumns};
const RowWriteShape kShapeAtEpoch{.table = "mw_rows", .columns = kColumns, .epoch_guard = true};
const RowWriteShape kInsertShape{.table = "mw_rows", .columns = kColumns, .insert = true};

// The one-statement write of an update of row `id` (stream "project-<id>") from `expected`.
struct Update {
  Update(const std::string& id, std::int64_t expected, const std::string& note,
         std::string command_id = "", std::optional<std::int64_t> epoch = std::nullopt) {
    std::vector<SqlValue> params{id, expected + 1, note, expected};
    if (epoch) params.emplace_back(*epoch);
    const store::WriteAlong along{epoch ? kUpdateAtEpoch : kUpdate, params,
                                  epoch ? &kShapeAtEpoch : &kShape};
    write = store::postgres::one_statement_write(
        "project-" + id, "project", expected, make_event("ProjectUpdated", note),
        "2026-12-07T12:00:00.000000Z", make_metadata(std::move(command_id)), &along);
  }
  std::unique_ptr<GroupWrite> write;
};

// The one-statement write of the creation of row `id` and its stream.
std::unique_ptr<GroupWrite> creation(const std::string& id) {
  const std::vector<SqlValue> params{id, std::int64_t{1}, id + "1"};
  const store::WriteAlong along{kMergedInsert, params, &kInsertShape};
  return store::postgres::one_statement_write(
      "project-" + id, "project", 0, make_event("ProjectCreated", id),
      "2026-12-07T12:00:00.000000Z", make_metadata(), &along);
}

class MergedWrites : public GroupCommitTest {
 protected:
  std::string table_ddl() const override {
    return "CREATE TABLE mw_rows (id text PRIMARY KEY, version bigint NOT NULL, note text)";
  }
  // Row `id` and its stream at version 1, as a creation leaves them.
  void create(const std::string& id) {
    ASSERT_TRUE(
        append("project-" + id, ExpectedVersion::no_stream(), {make_event("ProjectCreated", id)})
            .ok());
    sql("INSERT INTO mw_rows VALUES ('" + id + "', 1, 'created')");
  }
  // "row version / stream version / events / last note" of `id`.
  std::string state_of(const std::string& id) {
    return text("SELECT version FROM mw_rows WHERE id = '" + id + "'") + "/" +
           text("SELECT version FROM streams WHERE stream_id = 'project-" + id + "'") + "/" +
           text("SELECT count(*) FROM events WHERE stream_id = 'project-" + id + "'") + "/" +
           text("SELECT note FROM mw_rows WHERE id = '" + id + "'");
  }
  void run(std::vector<Update*> updates) {
    std::vector<GroupWrite*> batch;
    for (Update* update : updates) batch.push_back(update->write.get());
    group_->run_batch(batch);
  }
};

TEST_P(MergedWrites, UpdatesOfOneShapeRunAsOneStatementAndEachGetsItsPosition) {
  for (const char* id : {"a", "b", "c"}) create(id);
  Update c("c", 1, "c2"), a("a", 1, "a2"), b("b", 1, "b2");
  run({&c, &a, &b});
  std::set<std::int64_t> positions;
  for (const Update* u : {&a, &b, &c}) {
    EXPECT_EQ(u->write->outcome(), Outcome::done);
    EXPECT_GT(u->write->position(), 3);  // after the three creations
    positions.insert(u->write->position());
  }
  EXPECT_EQ(positions.size(), 3u);
  EXPECT_EQ(group_->stats().merged_writes, 3);
  EXPECT_EQ(state_of("a"), "2/2/2/a2");
  EXPECT_EQ(state_of("b"), "2/2/2/b2");
  EXPECT_EQ(state_of("c"), "2/2/2/c2");
  // Each event is where its answer says, in its own stream, and every hash chain holds.
  for (const auto& [id, u] : {std::pair{"a", &a}, {"b", &b}, {"c", &c}}) {
    const auto events = store_->read_stream(std::string("project-") + id, 2, 2);
    ASSERT_EQ(events.size(), 1u) << id;
    EXPECT_EQ(events[0].global_position, u->write->position()) << id;
    EXPECT_EQ(events[0].payload, std::string(id) + "2");
  }
  const auto report = store::verify_log(*store_);
  EXPECT_TRUE(report.intact()) << report.problem_count;
  EXPECT_EQ(report.events_checked, 6);
}

TEST_P(MergedWrites, AMemberWhoseGuardFailsWritesNothingAndTheOthersCommit) {
  for (const char* id : {"a", "b", "c", "d"}) create(id);
  ASSERT_TRUE(append("project-d", ExpectedVersion::exactly(1), {make_event("ProjectUpdated", "x")},
                     make_metadata("cmd-d"))
                  .ok());
  sql("UPDATE mw_rows SET version = 2 WHERE id = 'd'");
  Update a("a", 1, "a2"), stale("b", 5, "b2"), c("c", 1, "c2"),
      repeated("d", 2, "d3", "cmd-d");  // its command id is already in its stream
  run({&a, &stale, &c, &repeated});
  for (const Update* u : {&a, &stale, &c, &repeated}) EXPECT_EQ(u->write->outcome(), Outcome::done);
  EXPECT_GT(a.write->position(), 0);
  EXPECT_GT(c.write->position(), 0);
  EXPECT_EQ(stale.write->position(), 0);
  EXPECT_EQ(repeated.write->position(), 0);
  EXPECT_EQ(state_of("a"), "2/2/2/a2");
  EXPECT_EQ(state_of("b"), "1/1/1/created");
  EXPECT_EQ(state_of("c"), "2/2/2/c2");
  EXPECT_EQ(state_of("d"), "2/2/2/created");
}

TEST_P(MergedWrites, AStaleAccessEpochStopsItsMembers) {
  for (const char* id : {"a", "b"}) create(id);
  const std::int64_t epoch = access_epoch();
  Update current("a", 1, "a2", "", epoch), stale("b", 1, "b2", "", epoch - 1);
  run({&current, &stale});
  EXPECT_GT(current.write->position(), 0);
  EXPECT_EQ(stale.write->position(), 0);
  EXPECT_EQ(group_->stats().merged_writes, 2);
  EXPECT_EQ(state_of("a"), "2/2/2/a2");
  EXPECT_EQ(state_of("b"), "1/1/1/created");
}

TEST_P(MergedWrites, ASecondWriteToAStreamRunsAfterTheFirst) {
  for (const char* id : {"a", "b"}) create(id);
  Update first("a", 1, "a2"), second("a", 2, "a3"), other("b", 1, "b2");
  run({&first, &other, &second});  // a stream's writes keep their order in the batch
  for (const Update* u : {&first, &second, &other}) {
    EXPECT_EQ(u->write->outcome(), Outcome::done);
    EXPECT_GT(u->write->position(), 0);
  }
  EXPECT_GT(second.write->position(), first.write->position());
  EXPECT_EQ(group_->stats().merged_writes, 2);  // `second` ran as its own statement
  EXPECT_EQ(state_of("a"), "3/3/3/a3");
  EXPECT_EQ(state_of("b"), "2/2/2/b2");
  EXPECT_TRUE(store::verify_log(*store_).intact());
}

TEST_P(MergedWrites, OnlyAdjacentWritesOfOneShapeMergeSoStatementsKeepStreamOrder) {
  for (const char* id : {"a", "b", "c", "d", "x"}) create(id);
  const std::int64_t epoch = access_epoch();
  Update a("a", 1, "a2"), b("b", 1, "b2"), c("c", 1, "c2", "", epoch), d("d", 1, "d2"),
      x1("x", 1, "x2"), x2("x", 2, "x3", "", epoch);
  // Runs: (a, b) merged, c alone (another shape), (d, x1) merged, x2 alone (its stream's
  // second write), in that order.
  run({&x1, &d, &c, &b, &a, &x2});
  for (const Update* u : {&a, &b, &c, &d, &x1, &x2}) {
    EXPECT_EQ(u->write->outcome(), Outcome::done);
    EXPECT_GT(u->write->position(), 0);
  }
  EXPECT_LT(std::max(a.write->position(), b.write->position()), c.write->position());
  EXPECT_LT(c.write->position(), std::min(d.write->position(), x1.write->position()));
  EXPECT_LT(std::max(d.write->position(), x1.write->position()), x2.write->position());
  EXPECT_EQ(group_->stats().merged_writes, 4);
  EXPECT_EQ(state_of("c"), "2/2/2/c2");
  EXPECT_EQ(state_of("x"), "3/3/3/x3");
}

TEST_P(MergedWrites, AMergedStatementThatFailsFailsItsBatchWhichWritesNothing) {
  for (const char* id : {"a", "b", "c"}) create(id);
  // Row b's stream moved without it (a write that bypassed Folio): its row write succeeds
  // and its stream check fails, which folio_both_or_neither refuses.
  sql("UPDATE streams SET version = 7 WHERE stream_id = 'project-b'");
  Update a("a", 1, "a2"), b("b", 1, "b2"), c("c", 1, "c2");
  run({&a, &b, &c});
  for (const Update* u : {&a, &b, &c}) EXPECT_EQ(u->write->outcome(), Outcome::run_alone);
  EXPECT_NE(a.write->error().find("disagree"), std::string::npos) << a.write->error();
  EXPECT_EQ(group_->stats().failed_batches, 1);
  EXPECT_EQ(group_->stats().merged_writes, 0);
  EXPECT_EQ(state_of("a"), "1/1/1/created");
  EXPECT_EQ(state_of("c"), "1/1/1/created");

  Update again("a", 1, "a2"), also("c", 1, "c2");  // the connection serves the next batch
  run({&again, &also});
  EXPECT_GT(again.write->position(), 0);
  EXPECT_EQ(state_of("a"), "2/2/2/a2");
}

TEST_P(MergedWrites, CreationsOfOneShapeRunAsOneStatementAndEachGetsItsPosition) {
  // Three creations: the statement's fourth row is padding, which must write nothing.
  auto b = creation("b"), a = creation("a"), c = creation("c");
  group_->run_batch({b.get(), a.get(), c.get()});
  std::set<std::int64_t> positions;
  for (const auto* write : {a.get(), b.get(), c.get()}) {
    EXPECT_EQ(write->outcome(), Outcome::done);
    EXPECT_GT(write->position(), 0);
    positions.insert(write->position());
  }
  EXPECT_EQ(positions.size(), 3u);
  EXPECT_EQ(group_->stats().merged_writes, 3);
  EXPECT_EQ(state_of("a"), "1/1/1/a1");
  EXPECT_EQ(state_of("b"), "1/1/1/b1");
  EXPECT_EQ(text("SELECT entity_type FROM streams WHERE stream_id = 'project-c'"), "project");
  EXPECT_TRUE(store::verify_log(*store_).intact());
}

TEST_P(MergedWrites, ACreationOfARowThatExistsFailsTheBatchWhichWritesNothing) {
  create("b");
  auto a = creation("a"), again = creation("b"), c = creation("c");
  group_->run_batch({a.get(), again.get(), c.get()});
  for (const auto* write : {a.get(), again.get(), c.get()}) {
    EXPECT_EQ(write->outcome(), Outcome::run_alone);
  }
  EXPECT_NE(a->error().find("duplicate key"), std::string::npos) << a->error();
  EXPECT_EQ(text("SELECT count(*) FROM mw_rows"), "1");
  EXPECT_EQ(text("SELECT count(*) FROM streams"), "1");
  EXPECT_EQ(state_of("b"), "1/1/1/created");
}

INSTANTIATE_TEST_SUITE_P(Backends, MergedWrites, ::testing::Values(Backend::postgres),
                         BackendName{});

}  // namespace
}  // namespace folio::testing
