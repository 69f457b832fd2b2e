// A fixed pool of threads running store work, with a bounded queue: when the queue is full
// try_submit refuses at once, so the server answers 503 instead of growing memory.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace folio::http {

class WorkerPool {
 public:
  WorkerPool(int threads, std::size_t max_queued);
  ~WorkerPool();  // finishes queued work, then joins

  // False (and `job` is dropped) when the queue is full or the pool is stopping.
  bool try_submit(std::function<void()> job);
  // Only when a thread is idle and no queued job has claimed it, so that `job` starts at
  // once and waits behind nothing (a slow login); false (`job` dropped) otherwise.
  bool try_submit_to_idle(std::function<void()> job);

  // Stops taking work, finishes what is queued and joins the threads.
  void shutdown();

 private:
  // try_submit and try_submit_to_idle: queues `job` unless refused (see them).
  bool enqueue(std::function<void()> job, bool only_to_idle);
  void run();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::size_t idle_ = 0;  // threads waiting for a job
  std::vector<std::thread> threads_;
};

}  // namespace folio::http
