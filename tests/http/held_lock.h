// A lock another connection holds, for tests of what waits behind it: on PostgreSQL the
// row of one portfolio (FOR UPDATE: an update of it waits), on SQLite the database's write
// lock (BEGIN IMMEDIATE: every write waits). Held from construction until release() or
// destruction, by a unit of work of a store of its own on a thread of its own.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <thread>

#include "store/event_store.h"
#include "tests/support/test_database.h"

namespace folio::http_test {

class HeldLock {
 public:
  HeldLock(const testing::TestDatabase& db, const std::string& portfolio_id)
      : store_(db.open_store()) {
    const bool postgres = db.backend() == testing::Backend::postgres;
    std::promise<void> locked;
    auto held = locked.get_future();
    thread_ = std::thread([this, postgres, portfolio_id, locked = std::move(locked)]() mutable {
      store_->transact(store::Access::read_write, [&](store::Transaction& tx) {
        const store::SqlValue key = portfolio_id;
        if (postgres) tx.query("SELECT id FROM portfolios WHERE id = $1 FOR UPDATE", {&key, 1});
        locked.set_value();
        released_.get_future().wait();
        return store::Verdict::rollback;
      });
    });
    held.wait();
  }
  ~HeldLock() { release(); }
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;

  void release() {
    if (!thread_.joinable()) return;
    released_.set_value();
    thread_.join();
  }

 private:
  std::unique_ptr<store::EventStore> store_;
  std::promise<void> released_;
  std::thread thread_;
};

}  // namespace folio::http_test
