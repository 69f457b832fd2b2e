#include "http/starting_listener.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "commands/validation.h"
#include "http/listen_on.h"
#include "http/problem.h"
#include "http/request_parsing.h"

namespace folio::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = 16 << 10;
constexpr std::size_t kBodyLimit = 1 << 20;
constexpr std::chrono::seconds kRequestTimeout{10};

// One connection: reads a request (whole, so closing after the answer resets nothing the
// client still sends), answers 503 and closes. Lives as long as its handlers hold it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<std::atomic<int>> open)
      : stream_(std::move(socket)), open_(std::move(open)) {
    ++*open_;
    parser_.header_limit(kHeaderLimit);
    parser_.body_limit(kBodyLimit);
  }
  ~Connection() { --*open_; }

  void start() {
    stream_.expires_after(kRequestTimeout);
    beast_http::async_read(stream_, buffer_, parser_,
                           [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec == beast_http::error::end_of_stream) return;
                             self->answer(!ec);
                           });
  }

 private:
  void answer(bool read_whole_request) {
    response_ = unavailable("The server is starting: its database does not answer yet.");
    response_.set("X-Request-Id",
                  read_whole_request ? request_id_for(parser_.get()) : commands::new_id());
    response_.keep_alive(false);
    response_.prepare_payload();
    stream_.expires_after(kRequestTimeout);
    beast_http::async_write(stream_, response_,
                            [self = shared_from_this()](beast::error_code, std::size_t) {
                              beast::error_code ignored;
                              self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast_http::request_parser<beast_http::string_body> parser_;
  Response response_;
  std::shared_ptr<std::atomic<int>> open_;
};

}  // namespace

struct StartingListener::Impl {
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  std::shared_ptr<std::atomic<int>> open_connections = std::make_shared<std::atomic<int>>(0);
  std::thread thread;

  std::mutex mutex;
  std::condition_variable stop_signalled;
  bool stop_requested = false;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<Connection>(std::move(socket), open_connections)->start();
      accept();
    });
  }
};

StartingListener::StartingListener(const std::string& host, unsigned short port)
    : impl_(std::make_unique<Impl>()) {
  listen_on(impl_->acceptor, host, port);
  impl_->signals.async_wait([impl = impl_.get()](beast::error_code ec, int) {
    if (ec) return;
    const std::lock_guard lock(impl->mutex);
    impl->stop_requested = true;
    impl->stop_signalled.notify_all();
  });
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

StartingListener::~StartingListener() {
  asio::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->signals.cancel(ignored);
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (impl_->open_connections->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->ioc.stop();
  impl_->thread.join();
}

unsigned short StartingListener::port() const { return impl_->acceptor.local_endpoint().port(); }

bool StartingListener::wait(std::chrono::milliseconds duration) {
  std::unique_lock lock(impl_->mutex);
  return !impl_->stop_signalled.wait_for(lock, duration, [&] { return impl_->stop_requested; });
}

int StartingListener::release_socket() {
  std::promise<int> released;
  asio::post(impl_->ioc, [impl = impl_.get(), &released] {
    beast::error_code ec;
    const int fd = impl->acceptor.release(ec);  // the pending accept ends, aborted
    released.set_value(ec ? -1 : fd);
  });
  const int fd = released.get_future().get();
  if (fd < 0) throw std::runtime_error("could not hand over the listening socket");
  return fd;
}

}  // namespace folio::http
