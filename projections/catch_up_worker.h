// Keeps an asynchronous view up to date: a background thread that steps a catch-up runner
// while events are waiting, and otherwise sleeps until this process commits a write (at
// least kMinGap after its last step) or the poll interval has passed (other servers'
// writes). Used by `folio serve` for the resource utilisation view.
//
// Thread-safety: start once and stop from one thread (the owner); lag() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "projections/catch_up.h"
#include "store/follower_wait.h"

namespace folio::projections {

class CatchUpWorker {
 public:
  using Clock = std::chrono::steady_clock;
  struct Lag {
    std::int64_t events = 0;           // head position minus checkpoint, as of the last step
    double seconds = 0;                // 0 when caught up, else seconds since it last was
    double seconds_since_applied = 0;  // since a batch was last applied (or the start)
  };

  // `on_error` is called (on the worker thread) with the text of a failed step; the worker
  // waits ten poll intervals and tries again.
  CatchUpWorker(CatchUpRunner& runner, std::chrono::milliseconds poll,
                std::function<void(const std::string&)> on_error = {});
  ~CatchUpWorker();  // stops
  CatchUpWorker(const CatchUpWorker&) = delete;
  CatchUpWorker& operator=(const CatchUpWorker&) = delete;

  // The rest after a step that reached the head, whatever is committed meanwhile.
  static constexpr std::chrono::milliseconds kMinGap{50};

  void start();
  // Wakes the thread and joins it; a batch in progress finishes (or rolls back) first.
  // Final: the worker does not start again.
  void stop();

  Lag lag() const;

 private:
  void loop();

  CatchUpRunner& runner_;
  const std::chrono::milliseconds poll_;
  std::function<void(const std::string&)> on_error_;
  store::FollowerWait wait_;
  std::thread thread_;
  std::atomic<std::int64_t> lag_events_{0};
  std::atomic<Clock::rep> caught_up_at_;
  std::atomic<Clock::rep> applied_at_;
};

}  // namespace folio::projections
