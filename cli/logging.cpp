#include "cli/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <thread>

#include "events/thread_name.h"

namespace folio::cli {

namespace {

constexpr auto kWriteInterval = std::chrono::milliseconds(100);
constexpr std::size_t kWakeBytes = 256 << 10;
constexpr std::size_t kMaxPendingBytes = 64 << 20;

// A spdlog sink that only appends to `pending_` under base_sink's mutex; a thread of its
// own swaps the buffer out and writes it. Only that thread writes, so blocks stay in order.
class BatchingStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BatchingStdoutSink() : writer_([this] { write_loop(); }) {}
  ~BatchingStdoutSink() override { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (pending_.size() >= kMaxPendingBytes) {
      // Standard output is not keeping up: wait for the writer rather than drop the line.
      std::unique_lock lock(mutex_, std::adopt_lock);
      wake_.notify_one();
      written_.wait(lock, [&] { return pending_.size() < kMaxPendingBytes || stopping_; });
      lock.release();  // base_sink unlocks it
    }
    formatter_->format(msg, pending_);
    if (pending_.size() >= kWakeBytes || msg.level >= spdlog::level::warn) wake_.notify_one();
  }
  void flush_() override { wake_.notify_one(); }

 private:
  void write_loop() {
    name_this_thread("log-writer");
    spdlog::memory_buf_t writing;
    for (bool last = false; !last;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, kWriteInterval);
        last = stopping_;
        std::swap(writing, pending_);
      }
      written_.notify_all();
      if (writing.size() > 0) {
        std::fwrite(writing.data(), 1, writing.size(), stdout);
        writing.clear();
      }
      std::fflush(stdout);
    }
  }

  spdlog::memory_buf_t pending_;
  bool stopping_ = false;
  std::condition_variable wake_;
  std::condition_variable written_;
  std::thread writer_;  // last: starts when the rest is ready
};

std::shared_ptr<BatchingStdoutSink> sink;

}  // namespace

void start_logging() {
  sink = std::make_shared<BatchingStdoutSink>();
  auto logger = std::make_shared<spdlog::logger>("folio", sink);
  logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","log":%v})",
                      spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

void flush_logging() { spdlog::default_logger()->flush(); }

void stop_logging() {
  if (sink) sink->stop();
}

}  // namespace folio::cli
