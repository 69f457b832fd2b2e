#include "http/worker_pool.h"

#include "events/thread_name.h"

namespace folio::http {

WorkerPool::WorkerPool(int threads, std::size_t max_queued) : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() { shutdown(); }

bool WorkerPool::try_submit(std::function<void()> job) { return enqueue(std::move(job), false); }

bool WorkerPool::try_submit_to_idle(std::function<void()> job) {
  return enqueue(std::move(job), true);
}

bool WorkerPool::enqueue(std::function<void()> job, bool only_to_idle) {
  {
    std::lock_guard lock(mutex_);
    const bool refused = only_to_idle ? idle_ <= queue_.size() : queue_.size() >= max_queued_;
    if (stopping_ || refused) return false;
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

void WorkerPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::run() {
  name_this_thread("folio-worker");
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ++idle_;
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace folio::http
