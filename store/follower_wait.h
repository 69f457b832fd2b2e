// How a follower of the log (the sealer, an asynchronous view) sleeps between steps: at
// least `min_gap` (so that steady writes do not keep it reading the log back to back), then
// until a unit of work of this process commits writes or its poll interval has passed,
// whichever comes first, or until stop(). Commits of other processes (several servers on
// one PostgreSQL) are seen at the next poll.
//
// Thread-safety: wait() from the follower's thread; stop() and the commits from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "store/event_store.h"

namespace folio::store {

class FollowerWait {
 public:
  // Listens to `store`'s commits (EventStore::add_commit_listener: call before the store is
  // shared between threads).
  FollowerWait(EventStore& store, std::chrono::milliseconds min_gap);
  FollowerWait(const FollowerWait&) = delete;
  FollowerWait& operator=(const FollowerWait&) = delete;

  // Sleeps for `poll` at most (at least min_gap), less if a commit came (also one since
  // the last wait). False once stop() was called.
  bool wait(std::chrono::milliseconds poll);
  // Sleeps for `period` whatever commits (after a failure, say). False once stopped.
  bool pause(std::chrono::milliseconds period);
  void stop();
  bool stopped() const;

 private:
  // Shared with the store's listener, which may outlive this object.
  struct State {
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::atomic<bool> committed{false};
    // Set while the follower waits for a commit: a commit only takes the mutex and wakes
    // the follower then, so a writer pays one atomic exchange otherwise.
    std::atomic<bool> listening{false};
    void on_commit();
  };
  const std::chrono::milliseconds min_gap_;
  std::shared_ptr<State> state_;
};

}  // namespace folio::store
