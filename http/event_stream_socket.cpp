#include "http/event_stream_socket.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <mutex>

namespace folio::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

class EventStreamSocket final : public EventStreamConnection,
                                public std::enable_shared_from_this<EventStreamSocket> {
 public:
  EventStreamSocket(beast::tcp_stream stream, std::chrono::seconds write_timeout,
                    std::atomic<int>& connections)
      : stream_(std::move(stream)), write_timeout_(write_timeout), connections_(connections) {
    connections_.fetch_add(1);
  }
  ~EventStreamSocket() override { connections_.fetch_sub(1); }

  // On the connection's loop, once it is owned by a shared_ptr.
  void start(std::size_t send_buffer) {
    // A fixed kernel buffer (no autotuning to megabytes): what a client does not read
    // piles up where the hub sees it, and a stream costs the kernel little.
    beast::error_code ignored;
    stream_.socket().set_option(asio::socket_base::send_buffer_size(static_cast<int>(send_buffer)),
                                ignored);
    stream_.expires_never();
    watch_for_close();
  }

  bool send(std::string text) override {
    if (closed_.load()) return false;
    std::lock_guard lock(mutex_);
    unsent_.fetch_add(text.size());
    queued_ += text;
    if (!writing_) {
      writing_ = true;
      asio::post(stream_.get_executor(), [self = shared_from_this()] { self->write_queued(); });
    }
    return true;
  }

  std::size_t unsent_bytes() const override { return unsent_.load(); }
  bool closed() const override { return closed_.load(); }

  void close() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->shut(); });
  }

 private:
  // On the loop: writes what is queued, then what was queued meanwhile, until nothing is.
  void write_queued() {
    {
      std::lock_guard lock(mutex_);
      if (queued_.empty() || closed_.load()) {
        writing_ = false;
        return;
      }
      out_.swap(queued_);
      queued_.clear();
    }
    written_ = 0;
    write_some();
  }

  // One piece of out_ at a time, each with its own deadline: the timeout is for a client
  // that takes nothing, not for one that reads slowly but steadily.
  void write_some() {
    if (written_ == out_.size()) return write_queued();
    const std::size_t piece = std::min<std::size_t>(out_.size() - written_, 64 << 10);
    stream_.expires_after(write_timeout_);
    stream_.async_write_some(
        asio::buffer(out_.data() + written_, piece),
        [self = shared_from_this()](beast::error_code ec, std::size_t written) {
          if (self->closed_.load()) return;  // shut() dropped the count
          self->unsent_.fetch_sub(written);
          self->written_ += written;
          if (ec) return self->shut(ec);
          self->stream_.expires_never();  // the read below waits without limit
          self->write_some();
        });
  }

  // The client sends nothing after its request; a read ends when it closes the connection
  // (or when a write times out, which cancels it). Whatever it does send is dropped.
  void watch_for_close() {
    stream_.async_read_some(asio::buffer(ignored_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              // Only the write's deadline aborts this read (shut() and the
                              // hub close the socket after marking it closed).
                              if (ec == asio::error::operation_aborted) ec = beast::error::timeout;
                              if (ec) return self->shut(ec);
                              self->watch_for_close();
                            });
  }

  // `why`: the error that ended a read or write (the write's deadline ends both).
  void shut(beast::error_code why = {}) {
    if (closed_.exchange(true)) return;
    if (why == beast::error::timeout) {
      spdlog::warn(R"({{"event":"event_stream_dropped","reason":"no byte of its events was )"
                   R"(taken for {} s"}})",
                   write_timeout_.count());
    }
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    std::lock_guard lock(mutex_);
    queued_.clear();
    unsent_.store(0);
  }

  beast::tcp_stream stream_;
  const std::chrono::seconds write_timeout_;
  std::atomic<int>& connections_;
  std::mutex mutex_;
  std::string queued_;       // under mutex_
  bool writing_ = false;     // under mutex_: a write_queued is posted or running
  std::string out_;          // the loop's: being written
  std::size_t written_ = 0;  // the loop's: bytes of out_ written
  std::atomic<std::size_t> unsent_{0};
  std::atomic<bool> closed_{false};
  char ignored_[512];
};

}  // namespace

std::shared_ptr<EventStreamConnection> adopt_event_stream_socket(boost::beast::tcp_stream stream,
                                                                 std::chrono::seconds write_timeout,
                                                                 std::size_t send_buffer,
                                                                 std::atomic<int>& connections) {
  auto socket = std::make_shared<EventStreamSocket>(std::move(stream), write_timeout, connections);
  socket->start(send_buffer);
  return socket;
}

}  // namespace folio::http
