// The SQLite writer's durability hand-off (store/sqlite/commit_syncer.h): no answer and no
// read leaves before the fsync that covers the commits it rests on. The fsync here is a
// gate the test opens, so "not yet" is observable; the store's own is WalFile::sync.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/sqlite/commit_syncer.h"
#include "store/store_error.h"

namespace folio::store::sqlite {
namespace {

using namespace std::chrono_literals;

// Long enough for a wrong early answer to show; a correct run never waits for it.
constexpr auto kWouldHaveAnswered = 100ms;
constexpr auto kDeadline = 10s;

// A sync that blocks until opened, counting its calls; or fails when told to.
class GatedSync {
 public:
  void operator()() {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    if (fail_) throw StoreUnavailable("fdatasync failed: Input/output error");
    ++completed_;
  }
  void open(bool fail = false) {
    std::lock_guard lock(mutex_);
    open_ = true;
    fail_ = fail;
    changed_.notify_all();
  }
  bool wait_entered(int times) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return entered_ >= times; });
  }
  int entered() {
    std::lock_guard lock(mutex_);
    return entered_;
  }
  int completed() {
    std::lock_guard lock(mutex_);
    return completed_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  bool fail_ = false;
  int entered_ = 0;
  int completed_ = 0;
};

class CommitSyncerTest : public ::testing::Test {
 protected:
  GatedSync sync_;
  int durable_notices_ = 0;  // only the syncer's thread writes it; read after it stopped
  std::unique_ptr<CommitSyncer> syncer_ =
      std::make_unique<CommitSyncer>([this] { sync_(); }, [this] { ++durable_notices_; });

  void commit() {
    syncer_->commit_beginning();
    syncer_->commit_ended();
  }
  // Hands over a release and returns what it will be called with.
  std::future<std::exception_ptr> hand_over() {
    auto released = std::make_shared<std::promise<std::exception_ptr>>();
    auto future = released->get_future();
    syncer_->after_durable([released](std::exception_ptr error) { released->set_value(error); });
    return future;
  }
};

TEST_F(CommitSyncerTest, AnswersABatchOnlyAfterTheSyncThatFollowsItsCommit) {
  commit();
  auto answered = hand_over();
  ASSERT_TRUE(sync_.wait_entered(1));
  EXPECT_EQ(answered.wait_for(kWouldHaveAnswered), std::future_status::timeout)
      << "the batch was answered while its commit's sync was still running";
  sync_.open();
  ASSERT_EQ(answered.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(answered.get(), nullptr);
  syncer_.reset();
  EXPECT_EQ(durable_notices_, 1);
}

TEST_F(CommitSyncerTest, OneSyncAnswersEveryBatchHandedOverMeanwhileInTheirOrder) {
  commit();
  std::vector<int> order;  // written by the syncer's thread only
  syncer_->after_durable([&](std::exception_ptr) { order.push_back(1); });
  ASSERT_TRUE(sync_.wait_entered(1));
  // Committed while the first sync runs: its frames may have missed that sync.
  commit();
  syncer_->after_durable([&](std::exception_ptr) { order.push_back(2); });
  commit();
  auto last = hand_over();
  sync_.open();
  ASSERT_EQ(last.wait_for(kDeadline), std::future_status::ready);
  syncer_.reset();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(sync_.completed(), 2) << "the later commits need a sync that began after them";
}

TEST_F(CommitSyncerTest, ABatchThatCommittedNothingNewIsAnsweredWithoutASync) {
  auto answered = hand_over();  // e.g. every unit was refused (409), no commit since
  ASSERT_EQ(answered.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(answered.get(), nullptr);
  EXPECT_EQ(sync_.entered(), 0);
  syncer_->wait_until_durable();  // nothing committed: returns at once
}

TEST_F(CommitSyncerTest, AReadWaitsForTheSyncOfEveryCommitBegunBeforeItEnded) {
  // A COMMIT in progress: a reader may already see its rows.
  syncer_->commit_beginning();
  auto read = std::async(std::launch::async, [&] { syncer_->wait_until_durable(); });
  EXPECT_EQ(read.wait_for(kWouldHaveAnswered), std::future_status::timeout)
      << "the read returned before the commit it may show had even ended";
  syncer_->commit_ended();
  auto answered = hand_over();
  ASSERT_TRUE(sync_.wait_entered(1));
  EXPECT_EQ(read.wait_for(kWouldHaveAnswered), std::future_status::timeout)
      << "the read returned while the commit's sync was still running";
  sync_.open();
  ASSERT_EQ(read.wait_for(kDeadline), std::future_status::ready);
  read.get();
  EXPECT_EQ(answered.get(), nullptr);
}

TEST_F(CommitSyncerTest, AReleaseThatReadsDoesNotWaitForItsOwnThread) {
  commit();
  std::promise<void> read;
  syncer_->after_durable([&](std::exception_ptr) {
    syncer_->commit_beginning();    // the writer's next COMMIT, meanwhile
    syncer_->wait_until_durable();  // would wait for the sync this very thread runs next
    read.set_value();
  });
  sync_.open();
  EXPECT_EQ(read.get_future().wait_for(kDeadline), std::future_status::ready);
  syncer_->commit_ended();
}

TEST_F(CommitSyncerTest, AFailedSyncFailsItsBatchesAndEveryLaterWaitAndRefusesToVouchAgain) {
  commit();
  auto answered = hand_over();
  auto read = std::async(std::launch::async, [&] { syncer_->wait_until_durable(); });
  ASSERT_TRUE(sync_.wait_entered(1));
  sync_.open(/*fail=*/true);
  ASSERT_EQ(answered.wait_for(kDeadline), std::future_status::ready);
  const std::exception_ptr error = answered.get();
  ASSERT_NE(error, nullptr);
  EXPECT_THROW(std::rethrow_exception(error), StoreOutcomeUnknown);
  EXPECT_THROW(read.get(), StoreUnavailable);
  EXPECT_TRUE(syncer_->failed());

  // Linux may have dropped the pages that failed to write: a later sync that succeeds would
  // not cover them, so nothing after is vouched for.
  commit();
  auto later = hand_over();
  ASSERT_EQ(later.wait_for(kDeadline), std::future_status::ready);
  EXPECT_NE(later.get(), nullptr);
  EXPECT_THROW(syncer_->wait_until_durable(), StoreUnavailable);
  EXPECT_EQ(sync_.entered(), 1);
  syncer_.reset();
  EXPECT_EQ(durable_notices_, 0);
}

TEST_F(CommitSyncerTest, StoppingAnswersWhatWasHandedOver) {
  commit();
  auto answered = hand_over();
  ASSERT_TRUE(sync_.wait_entered(1));
  std::thread stopper([&] { syncer_.reset(); });
  sync_.open();
  stopper.join();
  ASSERT_EQ(answered.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(answered.get(), nullptr);
}

}  // namespace
}  // namespace folio::store::sqlite
