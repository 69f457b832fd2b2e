// The real `folio serve` binary, started as a child process on a free port against a test
// database. Its standard output (the "serving ... at http://HOST:PORT/" line, then one
// JSON log line per event) goes to a file the test can read.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace folio::http_test {

inline constexpr const char* kAdminUsername = "admin";
inline constexpr const char* kAdminPassword = "admin-password-1";

struct ServeOptions {
  std::string database_url;
  std::vector<std::string> extra_args;  // after `serve`, e.g. {"--workers", "4"}
  bool bootstrap_admin = true;          // FOLIO_ADMIN_USERNAME / _PASSWORD
};

class ServerProcess {
 public:
  // Starts the server and (with `wait`) waits until it is listening (see wait_listening).
  // The server is killed when the thread that started it ends (PR_SET_PDEATHSIG): start
  // it from the test's own thread.
  explicit ServerProcess(const ServeOptions& options, bool wait = true);
  // Waits (up to 60 s) until the server printed its address. Fails the test (and leaves
  // port() 0) when it exits or stays silent instead.
  void wait_listening();
  ~ServerProcess();  // SIGTERM, then SIGKILL if it does not exit in time
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Everything the server wrote to standard output / standard error so far.
  std::string stdout_text() const;
  std::string stderr_text() const;
  // The `log` objects of the JSON log lines on standard output so far.
  std::vector<boost::json::object> log_events() const;
  // Waits up to `timeout` for a log event matching `predicate`.
  template <class Predicate>
  std::vector<boost::json::object> wait_for_log(Predicate predicate,
                                                std::chrono::milliseconds timeout) const;

  void send_signal(int signal) const;
  // Waits for the process to exit; its exit code, or -1 on timeout, 128+N when killed by N.
  int wait_exit(std::chrono::milliseconds timeout);
  // SIGTERM and wait_exit(20 s); SIGKILL on timeout. The exit code, as wait_exit.
  int terminate();

 private:
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  std::string dir_;
  std::string stdout_path_;
  std::string stderr_path_;
};

template <class Predicate>
std::vector<boost::json::object> ServerProcess::wait_for_log(
    Predicate predicate, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<boost::json::object> matches;
    for (auto& e : log_events()) {
      if (predicate(e)) matches.push_back(std::move(e));
    }
    if (!matches.empty() || std::chrono::steady_clock::now() >= deadline) return matches;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace folio::http_test
