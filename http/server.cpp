#include "http/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/intrusive/list.hpp>
#include <boost/json.hpp>
#include <thread>

#include "commands/validation.h"
#include "events/thread_name.h"
#include "http/event_stream_socket.h"
#include "http/listen_on.h"
#include "http/loop_statement_pipe.h"
#include "http/metrics.h"
#include "http/request_parsing.h"
#include "http/worker_pool.h"

namespace folio::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using beast_http::status;

namespace {

// The client's IP address: the TCP peer's, unless the peer is a trusted proxy that names
// the client as the last address of X-Forwarded-For (as nginx's
// $proxy_add_x_forwarded_for appends it).
std::string client_address_of(const Request& request, const std::string& peer,
                              const std::vector<std::string>& trusted_proxies) {
  if (std::find(trusted_proxies.begin(), trusted_proxies.end(), peer) == trusted_proxies.end()) {
    return peer;
  }
  std::string_view forwarded = request["X-Forwarded-For"];
  forwarded = forwarded.substr(forwarded.rfind(',') + 1);  // npos + 1 == 0: the whole value
  while (!forwarded.empty() && forwarded.front() == ' ') forwarded.remove_prefix(1);
  while (!forwarded.empty() && forwarded.back() == ' ') forwarded.remove_suffix(1);
  beast::error_code ec;
  const auto address = asio::ip::make_address(forwarded, ec);
  return ec ? peer : address.to_string();
}

// The method as a metrics label and log field: the known verbs by name, anything else a
// client invents as "OTHER", so that label sets stay bounded.
std::string method_label(const Request& request) {
  if (request.method() == beast_http::verb::unknown) return "OTHER";
  return std::string(beast_http::to_string(request.method()));
}

// One access-log line. Formatted directly: every value is plain by construction (a verb
// or "OTHER", a route template, a status, a number, a request id checked by
// request_id_for or made here, a user id from the store), so nothing needs escaping.
void log_access(std::string_view method, const RouteInfo& info, unsigned code,
                std::chrono::microseconds duration, const std::string& request_id) {
  spdlog::info(R"({{"event":"request","method":"{}","route":"{}","status":{},"duration_ms":{:.3f},)"
               R"("request_id":"{}","user_id":"{}"}})",
               method, info.route, code, static_cast<double>(duration.count()) / 1000.0, request_id,
               info.user_id);
}

// What making room sees of a session waiting for a request head (ServerOptions::
// evictable_after). Linked into its loop's WaitingList while it waits; unlinks itself when
// it stops waiting or is destroyed.
class WaitingForRequest : public boost::intrusive::list_base_hook<
                              boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  std::chrono::steady_clock::time_point waiting_since;
  virtual void evict() = 0;  // closes the connection (on its loop's thread)

 protected:
  ~WaitingForRequest() = default;
};

// One loop's waiting sessions, longest waiting first (each joins at the back when it starts
// to wait). Touched only on that loop's thread, so without a lock.
using WaitingList =
    boost::intrusive::list<WaitingForRequest, boost::intrusive::constant_time_size<false>>;

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Services& services;
  // Declared before the io_contexts: sessions still queued in them when they are destroyed
  // touch them from their destructors.
  std::atomic<int> connections{0};
  std::atomic<int> in_flight{0};  // requests read and not yet fully answered
  std::atomic<bool> stopping{false};
  // Per loop, beside `loops` (declared before them: sessions unlink themselves when the
  // loops destroy them).
  std::vector<std::unique_ptr<WaitingList>> waiting;
  // One event loop per connection thread; a connection stays on the loop that accepted it.
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> loops_busy;
  // Beside `loops`: each loop's way in from other threads, its pipe for reads (PostgreSQL;
  // empty when the store has none), and what its requests may use of them (router.h).
  std::vector<std::shared_ptr<LoopMailbox>> mailboxes;
  std::vector<std::unique_ptr<LoopStatementPipe>> pipes;
  std::vector<LoopServices> loop_services;
  // Live event streams; declared after the loops, whose connections its streams hold.
  EventStreamHub event_streams;
  // The acceptor and the signals, on the thread calling run(). Declared after the loops, so
  // destroyed before them: an accept still pending then holds a socket of one of the loops.
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::size_t next_loop = 0;    // round robin; only the acceptor's thread touches it
  std::thread shutdown_waiter;  // begin_shutdown's: waits for in-flight requests
  WorkerPool pool;              // slow requests; last: destroyed (joined) first

  Impl(const ServerOptions& o, Services& s)
      : options(o),
        services(s),
        event_streams(s.store, o.event_streams),
        ioc(1),
        acceptor(ioc),
        signals(ioc, SIGINT, SIGTERM),
        pool(o.workers, o.max_queued) {
    for (int i = 0; i < o.workers; ++i) {
      loops.push_back(std::make_unique<asio::io_context>(1));
      waiting.push_back(std::make_unique<WaitingList>());
      loops_busy.push_back(asio::make_work_guard(*loops.back()));
      auto mailbox = mailboxes.emplace_back(std::make_shared<LoopMailbox>(*loops.back()));
      auto store_pipe = o.pipelined_reads ? s.store.open_statement_pipe() : nullptr;
      LoopStatementPipe* pipe = nullptr;
      if (store_pipe) {
        pipe = pipes
                   .emplace_back(std::make_unique<LoopStatementPipe>(*loops.back(), mailbox,
                                                                     std::move(store_pipe)))
                   .get();
      }
      loop_services.push_back(
          {pipe, o.pipelined_writes,
           [mailbox](std::function<void()> work) { mailbox->post(std::move(work)); },
           [this](std::function<void()> work) {
             return pool.try_submit_to_idle(std::move(work));
           }});
    }
    if (o.listening_socket >= 0) {
      const auto address = asio::ip::make_address(o.host);
      acceptor.assign(address.is_v6() ? tcp::v6() : tcp::v4(), o.listening_socket);
    } else {
      listen_on(acceptor, o.host, o.port);
    }
    services.metrics.set_server_gauges(&in_flight, &connections);
    services.metrics.set_event_streams(&event_streams);
  }

  ~Impl() {
    for (auto& mailbox : mailboxes) mailbox->close();  // before the loops go
  }

  std::size_t pick_loop() { return next_loop++ % loops.size(); }
  // On loop `loop`'s thread, at the connection limit: closes the connection of that loop
  // that has waited longest for a request, if it has waited long enough. False if none has.
  bool make_room(std::size_t loop) {
    WaitingList& list = *waiting[loop];
    if (list.empty()) return false;
    WaitingForRequest& longest = list.front();
    if (std::chrono::steady_clock::now() - longest.waiting_since < options.evictable_after) {
      return false;
    }
    longest.unlink();
    longest.evict();
    services.metrics.record_eviction();
    return true;
  }
  void stop_loops() {
    for (auto& loop : loops) loop->stop();
  }
  void do_accept();
  void begin_shutdown();
};

namespace {

class Session final : public std::enable_shared_from_this<Session>, public WaitingForRequest {
 public:
  // `loop`: what its loop offers (router.h); `waiting`: its loop's waiting sessions.
  Session(tcp::socket socket, Server::Impl& server, const LoopServices& loop, WaitingList& waiting)
      : stream_(std::move(socket)), server_(server), loop_(loop), waiting_(waiting) {
    beast::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_address_ = peer.address().to_string();
    server_.connections.fetch_add(1);
  }
  ~Session() { server_.connections.fetch_sub(1); }

  void start() { do_read(); }
  asio::any_io_executor executor() { return stream_.get_executor(); }
  void evict() override { stream_.cancel(); }  // the read ends with operation_aborted

  void refuse_overloaded() {
    Response r = unavailable("The server has too many connections; try again shortly.", 1);
    r.keep_alive(false);
    linger_ = true;  // the client's request is unread
    started_ = std::chrono::steady_clock::now();
    write(std::move(r), commands::new_id(), RouteInfo{"overloaded", ""}, "?");
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.header_limit));
    stream_.expires_after(first_request_ ? server_.options.header_timeout
                                         : server_.options.idle_timeout);
    first_request_ = false;
    waiting_since = std::chrono::steady_clock::now();
    waiting_.push_back(*this);
    beast_http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  // No Transfer-Encoding, or exactly one coding, chunked: the only one Folio reads.
  bool transfer_encoding_is_plain() const {
    const auto& head = parser_->get();
    const auto count = head.count(beast_http::field::transfer_encoding);
    if (count == 0) return true;
    return count == 1 && beast::iequals(head[beast_http::field::transfer_encoding], "chunked");
  }

  // The head has arrived (or the read failed): the body, if any, within read_timeout.
  void on_header(beast::error_code ec, std::size_t bytes) {
    unlink();
    if (!ec && !transfer_encoding_is_plain()) {
      // RFC 9112 6.3: a request body whose length cannot be known for sure; reading on
      // would leave its bytes to be read as the next request (request smuggling).
      started_ = std::chrono::steady_clock::now();
      return reply_and_close(status::bad_request, "bad_request", "Bad request",
                             "Transfer-Encoding must be exactly \"chunked\".");
    }
    if (ec || parser_->is_done()) return on_read(ec, bytes);
    stream_.expires_after(server_.options.read_timeout);
    beast_http::async_read(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == beast_http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return close();
    }
    started_ = std::chrono::steady_clock::now();
    if (ec == beast_http::error::body_limit) {
      return reply_and_close(status::payload_too_large, "payload_too_large", "Payload too large",
                             "The body is larger than 1 MiB.");
    }
    if (ec == beast_http::error::header_limit) {
      return reply_and_close(status::request_header_fields_too_large, "bad_request",
                             "Headers too large", "The request headers are too large.");
    }
    if (ec) {
      return reply_and_close(status::bad_request, "bad_request", "Bad request",
                             "The request is not valid HTTP/1.1.");
    }
    request_ = parser_->release();
    request_id_ = request_id_for(request_);
    client_address_ = client_address_of(request_, peer_address_, server_.options.trusted_proxies);
    method_ = method_label(request_);
    server_.in_flight.fetch_add(1);
    if (!is_slow_request(request_)) {  // here, on this connection's thread
      const bool piped = handle_request_without_blocking(
          request_, request_id_, client_address_, server_.services, loop_,
          [self = shared_from_this()](Response response, const RouteInfo& info) {
            self->answered(std::move(response), info);
          });
      return piped ? void() : answer();
    }
    auto self = shared_from_this();
    const bool queued = server_.pool.try_submit([self] {
      RouteInfo info;
      Response response = handle_request(self->request_, self->request_id_, self->client_address_,
                                         self->server_.services, info);
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response), info = std::move(info)]() mutable {
                   self->answered(std::move(response), info);
                 });
    });
    if (!queued) {
      server_.in_flight.fetch_sub(1);
      server_.services.metrics.record_overload();
      Response r =
          unavailable("The server is overloaded; nothing was written. Try again shortly.", 1);
      r.keep_alive(request_.keep_alive());
      write(std::move(r), request_id_, RouteInfo{"overloaded", ""}, method_);
    }
  }

  void answer() {
    RouteInfo info;
    Response response =
        handle_request(request_, request_id_, client_address_, server_.services, info);
    answered(std::move(response), info);
  }

  // On this connection's thread, with the router's response to request_.
  void answered(Response response, const RouteInfo& info) {
    counted_ = true;  // in_flight drops once the response is written
    if (info.event_stream) return start_event_stream(std::move(response), info);
    // Shutdown may have begun meanwhile: a response written (and logged) after that closes
    // its connection.
    response.keep_alive(request_.keep_alive() && !server_.stopping.load());
    write(std::move(response), request_id_, info, method_);
  }

  // Writes the head of a live event stream; on_write hands the connection to the hub.
  void start_event_stream(Response head, const RouteInfo& info) {
    if (server_.stopping.load() || !server_.event_streams.has_room()) {
      Response r = unavailable(
          "The server carries as many event streams as it can; try again "
          "shortly, or read pages of GET /api/v1/events.");
      r.keep_alive(false);
      return write(std::move(r), request_id_, info, method_);
    }
    event_stream_ = info.event_stream;
    write(std::move(head), request_id_, info, method_);
  }

  // For requests that could not be read: the client may still be sending (a body over the
  // limit), so after the answer the connection lingers a little, reading and dropping what
  // arrives, instead of closing on unread data (which resets the connection and can destroy
  // the answer before the client reads it).
  void reply_and_close(status code, std::string_view error, std::string_view title,
                       std::string_view detail) {
    Response r = problem(code, error, title, detail);
    r.keep_alive(false);
    linger_ = true;
    write(std::move(r), commands::new_id(), RouteInfo{"invalid", ""}, "?");
  }

  void write(Response response, const std::string& request_id, const RouteInfo& info,
             const std::string& method) {
    if (!request_id.empty()) response.set("X-Request-Id", request_id);
    const auto duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started_);
    const unsigned code = response.result_int();
    server_.services.metrics.record_request(method, info.route, code, duration);
    log_access(method, info, code, duration, request_id);
    response_ = std::move(response);
    stream_.expires_after(server_.options.read_timeout);
    beast_http::async_write(
        stream_, response_,
        beast::bind_front_handler(&Session::on_write, shared_from_this(), response_.keep_alive()));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    response_ = {};
    if (counted_) {
      counted_ = false;
      server_.in_flight.fetch_sub(1);
    }
    if (!ec && linger_) return linger();
    if (!ec && event_stream_) {
      const std::size_t send_buffer =
          std::min<std::size_t>(server_.options.event_streams.max_unsent_bytes, 256 << 10);
      server_.event_streams.add(
          adopt_event_stream_socket(std::move(stream_), server_.options.read_timeout, send_buffer,
                                    server_.connections),
          std::move(*event_stream_));
      return;  // this session ends; the connection lives on in the hub
    }
    if (ec || !keep_alive || server_.stopping.load()) return close();
    do_read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  // Half-closes, then drops what the client still sends: at most kLingerBytes, for at most
  // kLingerTime, so a client cannot keep the connection (or the server) busy with it.
  static constexpr std::size_t kLingerBytes = 4 << 20;
  static constexpr std::chrono::seconds kLingerTime{2};
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drain();
  }
  void drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(64 << 10),
                            beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }
  void on_drain(beast::error_code ec, std::size_t n) {
    lingered_ += n;
    if (ec || lingered_ > kLingerBytes || server_.stopping.load()) return stream_.close();
    drain();
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  const LoopServices& loop_;  // for requests answered without waiting (router.h)
  WaitingList& waiting_;      // its loop's, joined while waiting for a request head
  beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  Request request_;                                // the request being answered
  std::string request_id_;                         // its X-Request-Id
  std::string peer_address_;                       // the TCP peer's IP address
  std::string client_address_;                     // the request's client (client_address_of)
  std::string method_;                             // its method label (method_label)
  std::chrono::steady_clock::time_point started_;  // when it had been read
  Response response_;                              // the response being written
  bool first_request_ = true;
  bool counted_ = false;  // the response being written counts in server_.in_flight
  bool linger_ = false;   // drain the connection after this response (reply_and_close)
  std::optional<EventStreamRequest> event_stream_;  // hand over after this response
  std::size_t lingered_ = 0;
};

}  // namespace

void Server::Impl::do_accept() {
  const std::size_t loop = pick_loop();
  acceptor.async_accept(*loops[loop], [this, loop](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping.load() && ec != asio::error::operation_aborted) do_accept();
      return;
    }
    auto session =
        std::make_shared<Session>(std::move(socket), *this, loop_services[loop], *waiting[loop]);
    const bool too_many = connections.load() > options.max_connections;
    // The session runs on its own loop's thread from here on.
    asio::post(session->executor(), [this, session, too_many, loop] {
      if (too_many && !make_room(loop)) return session->refuse_overloaded();
      session->start();
    });
    do_accept();
  });
}

void Server::Impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  spdlog::info(
      R"({"event":"shutdown","message":"stopped accepting; finishing in-flight requests"})");
  beast::error_code ignored;
  acceptor.close(ignored);
  event_streams.request_stop();  // streams never end by themselves: they close now
  // Let in-flight requests finish (bounded wait), then stop the event loops. run() joins
  // this thread after the loops.
  shutdown_waiter = std::thread([this] {
    const auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    while (in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ioc.stop();
    stop_loops();
  });
}

Server::Server(const ServerOptions& options, Services& services)
    : impl_(std::make_unique<Impl>(options, services)) {}

Server::~Server() { impl_->pool.shutdown(); }

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  impl_->signals.async_wait([this](beast::error_code, int) { impl_->begin_shutdown(); });
  impl_->do_accept();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < impl_->loops.size(); ++i) {
    threads.emplace_back([this, i] {
      name_this_thread("folio-loop-" + std::to_string(i));
      impl_->loops[i]->run();
    });
  }
  impl_->ioc.run();  // returns once shutdown began: the acceptor and the signals are done
  for (auto& t : threads) t.join();  // the loops end when shutdown_waiter stops them
  if (impl_->shutdown_waiter.joinable()) impl_->shutdown_waiter.join();
  impl_->event_streams.stop();
  impl_->pool.shutdown();
  if (const int unanswered = impl_->in_flight.load(); unanswered > 0) {
    spdlog::warn(
        R"({{"event":"shutdown_grace_ended","unanswered":{},"message":"connections )"
        R"(closed with requests unanswered; waiting for writes already sent to the store"}})",
        unanswered);
  }
  // Writes still out past the grace period answer into the loops' mailboxes, still open (their
  // answers wait there unrun and go with the loops); nothing they use may go before them.
  impl_->services.store.wait_for_async_writes();
}

void Server::stop() {
  asio::post(impl_->ioc, [this] { impl_->begin_shutdown(); });
}

}  // namespace folio::http
