// Readers of the global log on PostgreSQL (read_all, settled_head) never make an append
// wait: they wait for the appends in flight when they start, and for nothing else. (SQLite
// has one writer, so an open write there holds back every other write by design; these
// tests are about PostgreSQL's many concurrent writers.)
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "store/event_store.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using store::Access;
using store::ExpectedVersion;
using store::Transaction;
using store::Verdict;
using namespace std::chrono_literals;

constexpr auto kPatience = 10s;  // far beyond any wait these tests expect to pass

// A unit of work on its own store (its own connection) that runs `first`, then stays open
// until release(): an append in flight, or any other long transaction.
class OpenTransaction {
 public:
  OpenTransaction(const TestDatabase& db, std::function<void(Transaction&)> first)
      : store_(db.open_store({.connections = 1})) {
    thread_ = std::thread([this, first = std::move(first)] {
      store_->transact(Access::read_write, [&](Transaction& tx) {
        first(tx);
        started_.set_value();
        release_.get_future().wait();
        return Verdict::commit;
      });
    });
    started_.get_future().wait();
  }
  ~OpenTransaction() { release(); }
  void release() {
    if (!thread_.joinable()) return;
    release_.set_value();
    thread_.join();
  }

 private:
  std::unique_ptr<store::EventStore> store_;
  std::promise<void> started_, release_;
  std::thread thread_;
};

class LogFollower : public StoreTest {};

TEST_P(LogFollower, AppendsGoOnWhileAReaderWaitsForAnAppendInFlight) {
  OpenTransaction in_flight(*db_, [](Transaction& tx) {
    const auto e = make_events(1, "in-flight");
    ASSERT_TRUE(tx.append("project-a", ExpectedVersion::no_stream(), e, make_metadata()).ok());
  });
  // The reader waits for that append...
  auto reader_store = db_->open_store({.connections = 1});
  auto reading = std::async(std::launch::async, [&] { return reader_store->read_all(0, 100); });
  ASSERT_EQ(reading.wait_for(300ms), std::future_status::timeout)
      << "read_all returned while an append with a smaller position was in flight";
  // ...and another append meanwhile is not held back by the waiting reader.
  auto writer_store = db_->open_store({.connections = 1});
  auto writing = std::async(std::launch::async, [&] {
    return writer_store->append("project-b", ExpectedVersion::no_stream(), make_events(1, "b"),
                                make_metadata());
  });
  ASSERT_EQ(writing.wait_for(kPatience), std::future_status::ready)
      << "an append waited for a reader of the log";
  const auto b = writing.get();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(reading.wait_for(0s), std::future_status::timeout);

  in_flight.release();
  ASSERT_EQ(reading.wait_for(kPatience), std::future_status::ready);
  // The reader returns what was taken when it started: the append it waited for. The later
  // one comes with the next read, in order.
  const auto first = reading.get();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].stream_id, "project-a");
  EXPECT_LT(first[0].global_position, b.first_position);
  const auto next = store_->read_all(first[0].global_position, 100);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].stream_id, "project-b");
  EXPECT_EQ(next[0].global_position, b.first_position);
}

TEST_P(LogFollower, ASettledHeadWaitsForAppendsInFlightAndNotPastThem) {
  const auto a = append("project-a", ExpectedVersion::no_stream(), make_events(1, "a"));
  OpenTransaction in_flight(*db_, [](Transaction& tx) {
    ASSERT_TRUE(
        tx.append("project-b", ExpectedVersion::no_stream(), make_events(1, "b"), make_metadata())
            .ok());
  });
  auto reader_store = db_->open_store({.connections = 1});
  auto settling = std::async(std::launch::async, [&] {
    std::int64_t head = 0;
    reader_store->transact(Access::read_only, [&](Transaction& tx) {
      head = tx.settled_head();
      return Verdict::commit;
    });
    return head;
  });
  ASSERT_EQ(settling.wait_for(300ms), std::future_status::timeout);
  // An append that takes a later position and commits first does not become the head.
  const auto c = append("project-c", ExpectedVersion::no_stream(), make_events(1, "c"));
  in_flight.release();
  ASSERT_EQ(settling.wait_for(kPatience), std::future_status::ready);
  const auto head = settling.get();
  EXPECT_GT(head, a.last_position);
  EXPECT_LT(head, c.first_position);
}

TEST_P(LogFollower, ALongTransactionThatDoesNotAppendHoldsNoReaderBack) {
  // It holds a transaction id and a row lock, as a long rebuild or a forgotten psql would.
  append("project-long", ExpectedVersion::no_stream(), make_events(1, "long"));
  OpenTransaction long_one(*db_, [](Transaction& tx) {
    const store::SqlValue stream{std::string("project-long")};
    tx.execute("UPDATE streams SET version = version WHERE stream_id = $1", std::span(&stream, 1));
  });
  const auto d = append("project-d", ExpectedVersion::no_stream(), make_events(1, "d"));
  auto reader_store = db_->open_store({.connections = 1});
  auto reading = std::async(std::launch::async, [&] { return reader_store->read_all(0, 100); });
  ASSERT_EQ(reading.wait_for(kPatience), std::future_status::ready)
      << "a reader waited for a transaction that appends nothing";
  const auto events = reading.get();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events.back().global_position, d.first_position);
}

INSTANTIATE_TEST_SUITE_P(Backends, LogFollower, ::testing::Values(Backend::postgres),
                         BackendName());

}  // namespace
}  // namespace folio::testing
