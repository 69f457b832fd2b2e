// A unit of work held open by another connection, for tests of what waits behind it (a row
// lock, SQLite's write lock) or what an old snapshot keeps (a purge). It runs on a store and a
// thread of its own from construction, which returns once `begin` has run inside it, until
// release() or destruction; then it rolls back.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <utility>

#include "store/event_store.h"
#include "tests/support/test_database.h"

namespace folio::testing {

class HeldTransaction {
 public:
  HeldTransaction(const TestDatabase& db, store::Access access,
                  std::function<void(store::Transaction&)> begin)
      : store_(db.open_store()) {
    std::promise<void> begun;
    auto held = begun.get_future();
    thread_ =
        std::thread([this, access, begin = std::move(begin), begun = std::move(begun)]() mutable {
          store_->transact(access, [&](store::Transaction& tx) {
            begin(tx);
            begun.set_value();
            released_.get_future().wait();
            return store::Verdict::rollback;
          });
        });
    held.wait();
  }
  ~HeldTransaction() { release(); }
  HeldTransaction(const HeldTransaction&) = delete;
  HeldTransaction& operator=(const HeldTransaction&) = delete;

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

}  // namespace folio::testing
