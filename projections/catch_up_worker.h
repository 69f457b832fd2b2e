// Keeps an asynchronous view up to date: a background thread that steps a catch-up runner
// while events are waiting and otherwise sleeps for the poll interval. Used by `folio serve`
// for the resource utilisation view.
//
// Thread-safety: start/stop from one thread (the owner); lag() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "projections/catch_up.h"

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

  void start();
  // Wakes the thread and joins it; a batch in progress finishes (or rolls back) first.
  void stop();

  Lag lag() const;

 private:
  void loop();
  void wait(std::chrono::milliseconds period);

  CatchUpRunner& runner_;
  const std::chrono::milliseconds poll_;
  std::function<void(const std::string&)> on_error_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::int64_t> lag_events_{0};
  std::atomic<Clock::rep> caught_up_at_;
  std::atomic<Clock::rep> applied_at_;
};

}  // namespace folio::projections
