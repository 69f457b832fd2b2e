// The listening address while `folio serve` waits for its database at start (PostgreSQL
// down, unreachable, still starting): instead of refusing connections, every request,
// /healthz included, is answered 503 problem+json with Retry-After, so a load balancer
// keeps the server out of rotation and a person sees why. When the database answers, the
// listening socket is handed to the real Server (ServerOptions::listening_socket), with no
// moment in which connections are refused.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace folio::http {

class StartingListener {
 public:
  // Binds and listens on host:port (0: any free port); answers on a thread of its own.
  // Throws boost::system::system_error when the address cannot be bound.
  StartingListener(const std::string& host, unsigned short port);
  // Waits (up to 2 s) for the requests being answered, then stops.
  ~StartingListener();
  StartingListener(const StartingListener&) = delete;
  StartingListener& operator=(const StartingListener&) = delete;

  unsigned short port() const;
  // Sleeps up to `duration`; false if SIGINT or SIGTERM came first (then: give up and exit).
  bool wait(std::chrono::milliseconds duration);
  // Stops accepting and returns the listening socket's descriptor, still listening
  // (connections arriving now wait in its backlog), for the Server to adopt.
  int release_socket();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace folio::http
