// The HTTP server: a listener accepting connections and a session per connection reading
// requests with limits and timeouts. Connections are spread over `workers` threads, each
// running its own event loop; a request runs to its end on the thread that read it (store
// work included), so there is no hand-off between threads on the way. On PostgreSQL a GET of
// one entity does not hold its loop while the database answers: its statement goes through
// the loop's StatementPipe, batched with the other connections' (router.h). Only requests that
// are slow on purpose (password hashing, see is_slow_request) go to a bounded pool, so that
// they never hold up the other connections of a thread.
// Clean shutdown on SIGINT/SIGTERM: stop accepting, finish in-flight requests, close.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "http/event_stream.h"
#include "http/router.h"

namespace folio::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;        // 0: any free port (see Server::port())
  int workers = 8;                   // connection threads, and threads for slow requests
  std::size_t max_queued = 1024;     // slow requests waiting for a thread; beyond: 503
  int max_connections = 1024;        // beyond: the connection is answered 503 and closed
  std::size_t body_limit = 1 << 20;  // 1 MiB: beyond: 413
  std::size_t header_limit = 16 << 10;
  // A connection's first request head (request line and headers) must arrive within
  // header_timeout of the connection; a request's body within read_timeout of its head;
  // a keep-alive connection's next request head within idle_timeout. Writing a response
  // may take read_timeout.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  // At max_connections, a new connection closes the one that has waited longest for a
  // request head (idle keep-alive, or a head still arriving: what slow clients hold), if it
  // has waited at least this long, instead of being refused; only when there is none is it
  // answered 503. A well-behaved client sends its request at once and is never the one.
  std::chrono::milliseconds evictable_after{1000};
  // On shutdown, how long requests in flight may take to finish before the event loops stop
  // (and their connections close). Writes already handed to the store are waited for
  // beyond it, answered or not: what they touch must outlive them.
  std::chrono::seconds shutdown_grace{10};
  // PostgreSQL: each loop sends the statements of GETs of one entity through a connection of
  // its own in pipeline mode instead of waiting for each (http/loop_statement_pipe.h).
  bool pipelined_reads = true;
  // A creation or an update of one entity does not block its loop either (router.h,
  // handle_request_without_blocking): PostgreSQL, with pipelined reads: read through the
  // loop's pipe and written through group commit; SQLite: run on the store's writer thread.
  bool pipelined_writes = true;
  // A socket already bound to host:port and listening (StartingListener::release_socket),
  // adopted instead of binding a new one; -1: bind host:port.
  int listening_socket = -1;
  // Peers (IP addresses) whose X-Forwarded-For names the client (load balancers).
  std::vector<std::string> trusted_proxies;
  // Live event streams (GET /api/v1/events as Server-Sent Events).
  EventStreamOptions event_streams;
};

class Server {
 public:
  Server(const ServerOptions& options, Services& services);
  ~Server();

  // The bound port (useful with port 0).
  unsigned short port() const;

  // Serves until SIGINT/SIGTERM or stop(); returns after in-flight requests finished.
  void run();
  void stop();

  struct Impl;  // public so that the sessions in server.cpp can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace folio::http
