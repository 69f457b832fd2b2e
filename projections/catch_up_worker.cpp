#include "projections/catch_up_worker.h"

#include <algorithm>

#include "events/thread_name.h"

namespace folio::projections {

namespace {

double seconds_since(CatchUpWorker::Clock::rep then) {
  const auto now = CatchUpWorker::Clock::now().time_since_epoch().count();
  return std::chrono::duration<double>(CatchUpWorker::Clock::duration(now - then)).count();
}

}  // namespace

CatchUpWorker::CatchUpWorker(CatchUpRunner& runner, std::chrono::milliseconds poll,
                             std::function<void(const std::string&)> on_error)
    : runner_(runner),
      poll_(poll),
      on_error_(std::move(on_error)),
      wait_(runner.store(), std::min(poll, kMinGap)),
      caught_up_at_(Clock::now().time_since_epoch().count()),
      applied_at_(Clock::now().time_since_epoch().count()) {}

CatchUpWorker::~CatchUpWorker() { stop(); }

void CatchUpWorker::start() {
  thread_ = std::thread([this] { loop(); });
}

void CatchUpWorker::stop() {
  wait_.stop();
  if (thread_.joinable()) thread_.join();
}

CatchUpWorker::Lag CatchUpWorker::lag() const {
  Lag lag;
  lag.events = lag_events_.load();
  lag.seconds = lag.events > 0 ? seconds_since(caught_up_at_.load()) : 0.0;
  lag.seconds_since_applied = seconds_since(applied_at_.load());
  return lag;
}

void CatchUpWorker::loop() {
  name_this_thread("catch-up");
  while (!wait_.stopped()) {
    std::size_t applied = 0;
    try {
      applied = runner_.step();
      const auto now = Clock::now().time_since_epoch().count();
      if (applied > 0) applied_at_ = now;
      const std::int64_t behind =
          std::max<std::int64_t>(0, runner_.last_head() - runner_.checkpoint());
      lag_events_ = behind;
      if (behind == 0) caught_up_at_ = now;
    } catch (const std::exception& e) {
      if (on_error_) on_error_(e.what());
      wait_.pause(poll_ * 10);
      continue;
    }
    // A full batch means more is waiting: go on. Anything less reached the head, so wait
    // for a commit (after kMinGap) or the next poll rather than step again at once: under
    // steady writes each step would find a few new events and read the log back to back.
    if (applied < runner_.batch_size()) wait_.wait(poll_);
  }
}

}  // namespace folio::projections
