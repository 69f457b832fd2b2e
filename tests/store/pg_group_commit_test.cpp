// PostgreSQL's group commit (store/postgres/pg_group_commit.h): a batch commits all its
// statements or none; a failed batch tells its members to run alone; concurrent writers
// share batches; and through the store, a lazy unit whose write failed in a batch gets
// exactly the error it would get alone while the others' writes stand.
#include "store/postgres/pg_group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <thread>

#include "store/store_error.h"
#include "tests/support/group_commit_test.h"

namespace folio::testing {
namespace {

using store::Access;
using store::ExpectedVersion;
using store::SqlValue;
using store::Transaction;
using store::Verdict;
using store::postgres::GroupWrite;
using store::postgres::PgGroupCommit;
using Outcome = GroupWrite::Outcome;

constexpr const char* kInsertName = "gc_test_insert";
constexpr const char* kInsert = "INSERT INTO gc_rows (k, n) VALUES ($1, $2::bigint) RETURNING n";
constexpr const char* kInsertIfNewName = "gc_test_insert_if_new";
constexpr const char* kInsertIfNew =
    "INSERT INTO gc_rows (k, n) VALUES ($1, $2::bigint) ON CONFLICT DO NOTHING RETURNING n";
constexpr const char* kSleepName = "gc_test_sleep";
constexpr const char* kSleep = "SELECT pg_sleep($1::float8)::text";

// A GroupWrite of `kInsert`-shaped statement with its own parameters.
struct Insert {
  Insert(std::string key, std::int64_t n, const char* name = kInsertName, const char* sql = kInsert)
      : key(std::move(key)), write(name, sql, this->key) {
    write.add_text(this->key);
    write.add_integer(n);
  }
  std::string key;
  GroupWrite write;
};

class GroupCommit : public GroupCommitTest {
 protected:
  std::string table_ddl() const override {
    return "CREATE TABLE gc_rows (k text PRIMARY KEY, n bigint NOT NULL)";
  }
  std::int64_t count_rows() { return std::stoll(text("SELECT count(*) FROM gc_rows")); }
};

TEST_P(GroupCommit, ABatchCommitsAllItsStatementsAndAnswersEach) {
  Insert a("a", 1), b("b", 2), c("c", 3);
  group_->run_batch({&c.write, &a.write, &b.write});
  for (const Insert* insert : {&a, &b, &c}) {
    EXPECT_EQ(insert->write.outcome(), Outcome::done) << insert->key;
  }
  EXPECT_EQ(a.write.position(), 1);
  EXPECT_EQ(b.write.position(), 2);
  EXPECT_EQ(c.write.position(), 3);
  EXPECT_EQ(count_rows(), 3);
  const auto stats = group_->stats();
  EXPECT_EQ(stats.batches, 1);
  EXPECT_EQ(stats.writes, 3);
  EXPECT_EQ(stats.failed_batches, 0);
}

TEST_P(GroupCommit, AStatementThatWritesNothingAnswersZero) {
  sql("INSERT INTO gc_rows VALUES ('taken', 7)");
  Insert fresh("fresh", 1, kInsertIfNewName, kInsertIfNew);
  Insert taken("taken", 2, kInsertIfNewName, kInsertIfNew);
  group_->run_batch({&fresh.write, &taken.write});
  EXPECT_EQ(fresh.write.outcome(), Outcome::done);
  EXPECT_EQ(fresh.write.position(), 1);
  EXPECT_EQ(taken.write.outcome(), Outcome::done);
  EXPECT_EQ(taken.write.position(), 0);
  EXPECT_EQ(count_rows(), 2);
}

TEST_P(GroupCommit, AFailedStatementFailsTheBatchWhichWritesNothing) {
  sql("INSERT INTO gc_rows VALUES ('taken', 7)");
  Insert before("a", 1), duplicate("taken", 2), after("z", 3);
  group_->run_batch({&before.write, &duplicate.write, &after.write});
  for (const Insert* insert : {&before, &duplicate, &after}) {
    EXPECT_EQ(insert->write.outcome(), Outcome::run_alone) << insert->key;
  }
  EXPECT_NE(duplicate.write.error().find("duplicate key"), std::string::npos)
      << duplicate.write.error();
  EXPECT_EQ(count_rows(), 1);  // only 'taken': the members before the failure rolled back
  EXPECT_EQ(group_->stats().failed_batches, 1);

  Insert next("next", 4);  // the connection serves the next batch
  group_->run_batch({&next.write});
  EXPECT_EQ(next.write.outcome(), Outcome::done);
  EXPECT_EQ(count_rows(), 2);
}

TEST_P(GroupCommit, AConnectionEndedDuringABatchFailsItAndTheNextBatchReconnects) {
  Insert first("a", 1);
  // Named after this test's schema, so that only this test's statement is ended.
  const std::string sleep_sql = std::string(kSleep) + " AS " + db_->location();
  GroupWrite sleep(kSleepName, sleep_sql.c_str(), "b");
  const std::string seconds = "5";
  sleep.add_text(seconds);
  bool ended = false;
  std::thread terminator(
      [&] { ended = terminate_backend_running(db_->url(), "AS " + db_->location()); });
  group_->run_batch({&first.write, &sleep});
  terminator.join();
  ASSERT_TRUE(ended) << "the batch's statement was not seen running";
  // The server ended the statement before the commit: nothing written. When its last words
  // (FATAL, SQLSTATE 57P01) reach the client, the batch is known to have failed and each
  // member runs alone; when the connection's end overtakes them (seen once in CI, on a busy
  // machine), libpq reports only a lost connection, and the batch may as well have
  // committed: in doubt. Never done, and the same for every member.
  const Outcome outcome = first.write.outcome();
  EXPECT_TRUE(outcome == Outcome::run_alone || outcome == Outcome::in_doubt)
      << static_cast<int>(outcome);
  EXPECT_EQ(sleep.outcome(), outcome);
  EXPECT_EQ(count_rows(), 0);

  Insert next("next", 2);
  group_->run_batch({&next.write});
  EXPECT_EQ(next.write.outcome(), Outcome::done) << next.write.error();
  EXPECT_EQ(count_rows(), 1);
}

TEST_P(GroupCommit, ConcurrentWritersShareBatches) {
  constexpr int kThreads = 8, kEach = 100;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Insert insert(std::to_string(t) + "-" + std::to_string(i), i);
        group_->run(insert.write);
        if (insert.write.outcome() == Outcome::done && insert.write.position() == i) ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(done.load(), kThreads * kEach);
  EXPECT_EQ(count_rows(), kThreads * kEach);
  const auto stats = group_->stats();
  EXPECT_EQ(stats.writes, kThreads * kEach);
  EXPECT_LT(stats.batches, stats.writes);  // some batches carried several writes
  EXPECT_EQ(stats.failed_batches, 0);
}

// More writers than a batch holds: a leader whose own write is behind a full batch's worth
// must still send it (it once took the 64 before it and then waited for itself for ever).
// A stress test: that interleaving was found by review and shown in a simulation; this
// run meets it only by chance, and then fails by the watchdog instead of hanging.
TEST_P(GroupCommit, MoreWritersThanABatchHoldAreAllAnswered) {
  constexpr int kThreads = 70, kEach = 60;
  std::atomic<int> done{0};
  std::atomic<bool> finished{false};
  std::thread watchdog([&] {  // a hang fails the test instead of the whole run's timeout
    for (int i = 0; i < 1200 && !finished.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!finished.load()) {
      std::fprintf(stderr, "group commit hung: %d of %d writes answered\n", done.load(),
                   kThreads * kEach);
      std::_Exit(1);
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Insert insert("m" + std::to_string(t) + "-" + std::to_string(i), i);
        group_->run(insert.write);
        if (insert.write.outcome() == Outcome::done) ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  finished = true;
  watchdog.join();
  EXPECT_EQ(done.load(), kThreads * kEach);
  EXPECT_EQ(count_rows(), kThreads * kEach);
  EXPECT_LT(group_->stats().batches, group_->stats().writes);  // they shared batches
}

// Through the store: creations whose row of the layers above collides (a unique key) fail
// with UniqueViolation and write nothing, while the creations batched with them stand.
TEST_P(GroupCommit, AUnitWhoseWriteFailsInABatchGetsItsOwnErrorAndTheOthersCommit) {
  sql("INSERT INTO gc_rows VALUES ('taken', 0)");
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> appended{0}, refused{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const bool collide = i % 4 == 3;
        const std::string stream = "project-" + std::to_string(t) + "-" + std::to_string(i);
        const std::vector<SqlValue> params{collide ? std::string("taken") : stream};
        try {
          store_->transact(Access::lazy_write, [&](Transaction& tx) {
            const auto r = tx.append_with(stream, ExpectedVersion::no_stream(),
                                          make_event("ProjectCreated", "p"), make_metadata(),
                                          {"INSERT INTO gc_rows (k, n) VALUES ($1, 0)", params});
            return r.ok() ? Verdict::commit : Verdict::rollback;
          });
          (collide ? wrong : appended)++;
        } catch (const store::UniqueViolation&) {
          (collide ? refused : wrong)++;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(appended.load(), kThreads * kEach * 3 / 4);
  EXPECT_EQ(refused.load(), kThreads * kEach / 4);
  const auto events = everything();
  EXPECT_EQ(static_cast<int>(events.size()), appended.load());
  for (const auto& e : events) {
    EXPECT_EQ(e.stream_version, 1);
    const int i = std::stoi(e.stream_id.substr(e.stream_id.rfind('-') + 1));
    EXPECT_NE(i % 4, 3) << "a refused creation was written: " << e.stream_id;
  }
  EXPECT_EQ(count_rows(), 1 + appended.load());
}

// The answers of run_async's writes, as their callbacks give them. Declare it before the
// group whose writes it records: it must outlive the group's senders.
struct AsyncAnswers {
  struct Answer {
    Outcome outcome;
    std::int64_t position;
    std::string error;
  };
  std::mutex mutex;
  std::condition_variable told;
  std::map<std::string, Answer> answers;
  int calls = 0;  // callbacks run: one per write

  void submit(PgGroupCommit& group, const std::string& key, std::int64_t n,
              const char* name = kInsertName, const char* sql = kInsert) {
    auto write = std::make_unique<GroupWrite>(name, sql, key);
    write->add_text(key);
    write->add_integer(n);
    group.run_async(std::move(write), [this, key](GroupWrite& answered) {
      std::lock_guard lock(mutex);
      answers[key] = {answered.outcome(), answered.position(), answered.error()};
      ++calls;
      told.notify_all();
    });
  }
  bool answered(const std::string& key) {  // waits up to 10 s
    std::unique_lock lock(mutex);
    return told.wait_for(lock, std::chrono::seconds(10), [&] { return answers.contains(key); });
  }
  bool all_answered(int n) {  // waits up to 10 s for `n` callbacks
    std::unique_lock lock(mutex);
    return told.wait_for(lock, std::chrono::seconds(10), [&] { return calls >= n; });
  }
  bool answered_now(const std::string& key) {
    std::lock_guard lock(mutex);
    return answers.contains(key);
  }
  Answer at(const std::string& key) {
    std::lock_guard lock(mutex);
    return answers.at(key);
  }
};

TEST_P(GroupCommit, AsynchronousWritesAreAnsweredOnceEachAndAFailedBatchWritesNothing) {
  sql("INSERT INTO gc_rows VALUES ('taken', 7)");
  AsyncAnswers answers;
  for (int i = 1; i <= 20; ++i) answers.submit(*group_, "k" + std::to_string(i), i);
  ASSERT_TRUE(answers.all_answered(20));
  for (int i = 1; i <= 20; ++i) {
    const auto answer = answers.at("k" + std::to_string(i));
    EXPECT_EQ(answer.outcome, Outcome::done);
    EXPECT_EQ(answer.position, i);  // the statement's answer: RETURNING n
  }
  EXPECT_EQ(count_rows(), 21);
  answers.submit(*group_, "taken", 99);  // a unique violation: its batch fails, to run alone
  ASSERT_TRUE(answers.all_answered(21));
  EXPECT_EQ(answers.at("taken").outcome, Outcome::run_alone);
  EXPECT_EQ(count_rows(), 21);
  group_->wait_for_async_writes();
  std::lock_guard lock(answers.mutex);
  EXPECT_EQ(answers.calls, 21) << "each write is answered once";
}

// A row of gc_rows inserted by a transaction left open, so that a write of the same key
// waits for it. Declare it after the group: it must let go before the group's destructor
// waits for the batches in flight.
class HeldRow {
 public:
  HeldRow(const std::string& url, const std::string& key)
      : connection_(url), holding_(connection_) {
    holding_.exec_params("INSERT INTO gc_rows VALUES ($1, 1)", key);
  }
  ~HeldRow() {
    try {
      holding_.abort();
    } catch (...) {
    }
  }
  void commit() { holding_.commit(); }

 private:
  pqxx::connection connection_;
  pqxx::work holding_;
};

// Waits (up to 10 s) until a statement on gc_rows waits for a row lock in this database.
bool wait_for_lock_wait(const std::string& url) {
  pqxx::connection watcher(url);
  for (int i = 0; i < 1000; ++i) {
    pqxx::nontransaction look(watcher);
    if (look.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                   " AND wait_event_type = 'Lock' AND query LIKE '%gc_rows%'")[0]
            .as<int>() > 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Waits (up to 10 s) until `group` has sent `n` batches behind others still in flight.
bool wait_for_pipelined(const PgGroupCommit& group, std::int64_t n) {
  for (int i = 0; i < 1000; ++i) {
    if (group.stats().pipelined_batches >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// With room for two batches, a second batch of asynchronous writes goes out on another
// connection while the first still runs (here: waits for a row another transaction holds),
// rather than behind it on the first's: each batch runs on one backend, so one batch at a
// time would leave the database's other CPUs idle while a batch waits for its commit.
TEST_P(GroupCommit, AsynchronousBatchesRunSideBySide) {
  AsyncAnswers answers;
  PgGroupCommit two(db_->url(), 2);
  HeldRow held(db_->url(), "held");
  answers.submit(two, "held", 2, kInsertIfNewName, kInsertIfNew);  // waits for `held`
  // The second write is sent only once the first batch waits in the database for the row
  // (else both could go in one batch).
  ASSERT_TRUE(wait_for_lock_wait(db_->url())) << "the first batch never reached the held row";
  answers.submit(two, "free", 3, kInsertIfNewName, kInsertIfNew);
  ASSERT_TRUE(answers.answered("free")) << "the second batch waited for the first";
  EXPECT_FALSE(answers.answered_now("held")) << "the first cannot end while the row is held";
  held.commit();
  ASSERT_TRUE(answers.answered("held"));
  EXPECT_EQ(answers.at("free").outcome, Outcome::done);
  EXPECT_EQ(answers.at("held").outcome, Outcome::done);  // ON CONFLICT DO NOTHING: wrote nothing
  EXPECT_EQ(count_rows(), 2);
  EXPECT_EQ(two.stats().pipelined_batches, 0);
  two.wait_for_async_writes();
}

// With one batch at a time, the next batch of asynchronous writes is sent behind the one
// still running, on the same connection, so that the backend finds it waiting. Each batch is
// still its own transaction: the first failing does not fail the second, and the second runs
// after the first has ended (it sees what the first's transaction left).
TEST_P(GroupCommit, ABatchSentBehindARunningOneCommitsOrFailsByItself) {
  AsyncAnswers answers;
  PgGroupCommit one(db_->url(), 1);
  HeldRow held(db_->url(), "held");
  answers.submit(one, "held", 2);  // a plain INSERT: waits for `held`, then fails
  ASSERT_TRUE(wait_for_lock_wait(db_->url())) << "the first batch never reached the held row";
  answers.submit(one, "next", 3);
  ASSERT_TRUE(wait_for_pipelined(one, 1)) << "the second batch was not sent behind the first";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(answers.answered_now("next")) << "the second batch runs after the first";
  held.commit();
  ASSERT_TRUE(answers.answered("held"));
  ASSERT_TRUE(answers.answered("next"));
  EXPECT_EQ(answers.at("held").outcome, Outcome::run_alone);
  EXPECT_NE(answers.at("held").error.find("duplicate key"), std::string::npos)
      << answers.at("held").error;
  EXPECT_EQ(answers.at("next").outcome, Outcome::done) << answers.at("next").error;
  EXPECT_EQ(answers.at("next").position, 3);
  EXPECT_EQ(count_rows(), 2);  // the holder's 'held' and 'next'
  const auto stats = one.stats();
  EXPECT_EQ(stats.batches, 2);
  EXPECT_EQ(stats.failed_batches, 1);
  one.wait_for_async_writes();
}

// A connection lost with two batches on it: the one that was running failed (the server
// said so) or is in doubt, and the one behind it is in doubt: its Sync had gone out, so as
// far as the client can tell it may have committed, and it must never run again. The next
// write opens a new connection.
TEST_P(GroupCommit, AConnectionLostUnderTwoBatchesLeavesTheSecondInDoubt) {
  // Marked with this test's schema, so that only this test's backend is ended.
  const std::string marked_insert = std::string(kInsert) + " -- " + db_->location();
  const char* const marked_name = "gc_test_marked_insert";
  AsyncAnswers answers;
  PgGroupCommit one(db_->url(), 1);
  HeldRow held(db_->url(), "held");
  answers.submit(one, "held", 2, marked_name, marked_insert.c_str());
  ASSERT_TRUE(wait_for_lock_wait(db_->url())) << "the first batch never reached the held row";
  answers.submit(one, "next", 3, marked_name, marked_insert.c_str());
  ASSERT_TRUE(wait_for_pipelined(one, 1)) << "the second batch was not sent behind the first";
  ASSERT_TRUE(terminate_backend_running(db_->url(), "-- " + db_->location()));
  ASSERT_TRUE(answers.answered("held"));
  ASSERT_TRUE(answers.answered("next"));
  const Outcome first = answers.at("held").outcome;
  EXPECT_TRUE(first == Outcome::run_alone || first == Outcome::in_doubt) << static_cast<int>(first);
  EXPECT_EQ(answers.at("next").outcome, Outcome::in_doubt);
  held.commit();
  EXPECT_EQ(count_rows(), 1) << "the backend ended before it ran the second batch";

  answers.submit(one, "after", 4);
  ASSERT_TRUE(answers.answered("after"));
  EXPECT_EQ(answers.at("after").outcome, Outcome::done) << answers.at("after").error;
  EXPECT_EQ(count_rows(), 2);
  one.wait_for_async_writes();
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupCommit, ::testing::Values(Backend::postgres),
                         BackendName());

}  // namespace
}  // namespace folio::testing
