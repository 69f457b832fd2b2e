// Limits on failed logins (API.md: POST /api/v1/auth/token answers 429 `rate_limited`):
// per user name and per client address, each a number of failures within a window that
// starts with the first failure. Counted in the store (migration 0008), so the servers
// sharing a PostgreSQL database share the counts. An unknown user name counts as a wrong
// password does, so the answers never tell them apart.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "store/event_store.h"

namespace folio::http {

struct LoginLimits {
  int failures_per_user = 10;     // within the window, for one user name (any letter case)
  int failures_per_address = 50;  // within the window, from one client address
  std::chrono::seconds window{15 * 60};
};

class LoginThrottle {
 public:
  LoginThrottle(store::EventStore& store, LoginLimits limits) : store_(store), limits_(limits) {}

  // How long the client must wait before it may try this user name from this address
  // again; nullopt when it may try now.
  std::optional<std::chrono::seconds> wait_before_trying(const std::string& username,
                                                         const std::string& address);
  // A failed attempt counts against both the user name and the address.
  void record_failure(const std::string& username, const std::string& address);
  // A successful login forgets the user name's failures (not the address's).
  void record_success(const std::string& username);

  const LoginLimits& limits() const { return limits_; }

 private:
  store::EventStore& store_;
  const LoginLimits limits_;
};

}  // namespace folio::http
