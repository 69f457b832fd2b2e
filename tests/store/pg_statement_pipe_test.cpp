// PostgreSQL's statement pipe (store/postgres/pg_statement_pipe.h): statements queued
// together go out as one batch and are answered in order with their rows; a failed
// statement fails only its batch; a broken connection fails what is pending and the next
// statement reconnects; an unreachable server fails statements without hanging.
#include "store/postgres/pg_statement_pipe.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <memory>

#include "tests/support/pipe_driver.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using store::SqlRow;
using store::SqlValue;
using store::postgres::PgStatementPipe;

// What a statement's `done` was told: nullopt until it ran; then its rows, or failed.
struct Answer {
  bool answered = false;
  bool failed = false;
  std::vector<SqlRow> rows;
  store::StatementPipe::Done done() {
    return [this](const std::vector<SqlRow>* r) {
      answered = true;
      failed = r == nullptr;
      if (r) rows = *r;
    };
  }
};

class StatementPipe : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    pipe_ = std::make_unique<PgStatementPipe>(db_->url());
  }
  void TearDown() override {
    pipe_.reset();
    StoreTest::TearDown();
  }

  // Flushes, then reads as an event loop would until nothing is pending (at most 10 s).
  void drive() { ASSERT_TRUE(drive_until_answered(*pipe_)); }

  void submit(const char* sql, std::vector<SqlValue> params, Answer& answer) {
    pipe_->submit(sql, params, answer.done());
  }

  std::unique_ptr<PgStatementPipe> pipe_;
};

TEST_P(StatementPipe, AnswersABatchInOrderWithIntegersTextsAndNulls) {
  constexpr const char* kEcho = "SELECT $1::bigint, $2::text, NULL::text, 'x' || $2";
  std::vector<Answer> answers(20);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    submit(kEcho, {static_cast<std::int64_t>(i), "row " + std::to_string(i)}, answers[i]);
  }
  EXPECT_EQ(pipe_->pending(), 21u);  // the PREPARE, then the 20 statements
  drive();
  for (std::size_t i = 0; i < answers.size(); ++i) {
    ASSERT_TRUE(answers[i].answered);
    ASSERT_FALSE(answers[i].failed);
    ASSERT_EQ(answers[i].rows.size(), 1u);
    const SqlRow& row = answers[i].rows[0];
    EXPECT_EQ(row[0], SqlValue(static_cast<std::int64_t>(i)));
    EXPECT_EQ(row[1], SqlValue("row " + std::to_string(i)));
    EXPECT_EQ(row[2], SqlValue());
    EXPECT_EQ(row[3], SqlValue("xrow " + std::to_string(i)));
  }
}

TEST_P(StatementPipe, SeesWhatWasCommittedBeforeItWasSent) {
  Answer before, after;
  submit("SELECT count(*) FROM events", {}, before);
  drive();
  ASSERT_FALSE(before.failed);
  store_->append("pipe-1", store::ExpectedVersion::no_stream(),
                 std::vector{make_event("Created", "{}")}, {});
  submit("SELECT count(*) FROM events", {}, after);
  drive();
  ASSERT_FALSE(after.failed);
  EXPECT_EQ(std::get<std::int64_t>(after.rows[0][0]),
            std::get<std::int64_t>(before.rows[0][0]) + 1);
}

TEST_P(StatementPipe, AFailedStatementFailsOnlyItsBatch) {
  constexpr const char* kDivide = "SELECT 100 / $1::int";
  Answer ok, zero, skipped, later;
  submit(kDivide, {std::int64_t{4}}, ok);
  submit(kDivide, {std::int64_t{0}}, zero);
  submit(kDivide, {std::int64_t{5}}, skipped);
  drive();
  EXPECT_FALSE(ok.failed);
  EXPECT_EQ(ok.rows.at(0).at(0), SqlValue(std::int64_t{25}));
  EXPECT_TRUE(zero.failed);
  EXPECT_TRUE(skipped.failed);  // PostgreSQL skips the rest of the batch
  submit(kDivide, {std::int64_t{10}}, later);
  drive();
  ASSERT_FALSE(later.failed);
  EXPECT_EQ(later.rows.at(0).at(0), SqlValue(std::int64_t{10}));
}

TEST_P(StatementPipe, AStatementThatDoesNotPrepareFailsAndTheNextOnesWork) {
  Answer broken, fine;
  submit("SELECT * FROM no_such_table", {}, broken);
  drive();
  EXPECT_TRUE(broken.answered);
  EXPECT_TRUE(broken.failed);
  submit("SELECT 1", {}, fine);
  drive();
  EXPECT_FALSE(fine.failed);
}

TEST_P(StatementPipe, ABrokenConnectionFailsWhatIsPendingAndTheNextStatementReconnects) {
  Answer first;
  submit("SELECT 1", {}, first);
  drive();
  const int old_socket = pipe_->socket();
  ASSERT_GE(old_socket, 0);
  // Shared, not a local by reference: the pipe (and its callback) outlives this body until
  // TearDown (found by AddressSanitizer).
  const auto closed = std::make_shared<int>(0);
  pipe_->set_before_close([closed] { ++*closed; });

  Answer sleeping;
  // Named after this test's schema, so that only this test's statement is ended.
  const std::string sleep_sql = "SELECT pg_sleep(30)::text AS " + db_->location();
  submit(sleep_sql.c_str(), {}, sleeping);
  ASSERT_FALSE(pipe_->flush());
  ASSERT_TRUE(terminate_backend_running(db_->url(), "AS " + db_->location()));
  drive();
  EXPECT_TRUE(sleeping.answered);
  EXPECT_TRUE(sleeping.failed);
  EXPECT_EQ(*closed, 1);  // told before the socket closed
  EXPECT_EQ(pipe_->socket(), -1);

  Answer again;
  submit("SELECT 2", {}, again);
  drive();
  ASSERT_FALSE(again.failed);
  EXPECT_EQ(again.rows.at(0).at(0), SqlValue(std::int64_t{2}));
}

TEST_P(StatementPipe, AnUnreachableServerFailsStatementsAtOnce) {
  PgStatementPipe unreachable("postgresql://postgres@127.0.0.1:1/postgres");
  Answer a, b;
  const auto started = std::chrono::steady_clock::now();
  unreachable.open();
  unreachable.submit("SELECT 1", {}, a.done());
  unreachable.submit("SELECT 1", {}, b.done());
  EXPECT_FALSE(a.answered);  // answered from flush(), never from inside submit()
  EXPECT_FALSE(unreachable.flush());
  EXPECT_TRUE(a.answered && a.failed);
  EXPECT_TRUE(b.answered && b.failed);
  EXPECT_EQ(unreachable.pending(), 0u);
  EXPECT_EQ(unreachable.socket(), -1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

INSTANTIATE_TEST_SUITE_P(Backends, StatementPipe, ::testing::Values(Backend::postgres),
                         BackendName());

}  // namespace
}  // namespace folio::testing
