// WorkerPool without a server: try_submit_to_idle starts work only on a thread that is free
// now, so that what the event loops hand over never waits behind slow requests.
#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace folio::http {
namespace {

using namespace std::chrono_literals;

// Repeats `attempt` until it succeeds or 5 s have passed (a thread becomes idle a moment
// after it finished its job).
template <typename Attempt>
bool eventually(Attempt attempt) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!attempt()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(WorkerPool, SubmitsToIdleOnlyWhenAThreadIsFreeAndNothingIsQueued) {
  WorkerPool pool(1, 16);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  auto running = started.get_future();
  ASSERT_TRUE(eventually([&] {
    return pool.try_submit_to_idle([&started, released] {
      started.set_value();
      released.wait();
    });
  }));
  running.wait();

  // The one thread is busy: no idle thread, though the queue has room.
  std::atomic<int> ran = 0;
  EXPECT_FALSE(pool.try_submit_to_idle([&] { ++ran; }));
  ASSERT_TRUE(pool.try_submit([&] { ++ran; }));  // a slow request still queues
  release.set_value();
  // Once the queued job is done, the thread is idle again and takes work at once.
  ASSERT_TRUE(eventually([&] { return ran.load() == 1; }));
  ASSERT_TRUE(eventually([&] { return pool.try_submit_to_idle([&] { ++ran; }); }));
  pool.shutdown();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(pool.try_submit_to_idle([&] { ++ran; }));  // stopped
}

}  // namespace
}  // namespace folio::http
