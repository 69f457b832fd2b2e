// Hands work to one event loop from any thread (the answers the store's own threads give to
// requests that did not wait for them) until the loop goes away: after close(), work posted
// is dropped, destroyed on the poster's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <mutex>

namespace folio::http {

class LoopMailbox {
 public:
  explicit LoopMailbox(boost::asio::io_context& loop) : loop_(&loop) {}

  void post(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    if (loop_) boost::asio::post(*loop_, std::move(work));
  }
  void close() {
    std::lock_guard lock(mutex_);
    loop_ = nullptr;
  }

 private:
  std::mutex mutex_;
  boost::asio::io_context* loop_;
};

}  // namespace folio::http
