// Bearer tokens: issued for a username and password, stored only as a SHA-256 hash with an
// expiry, checked on every request together with the user's current roles and scopes, so
// deactivating a user, a role or a scope takes effect on the next request. The actor behind
// a token is remembered (commands/actor_cache.h) and reused only while the access epoch read
// in the request's own statement confirms nothing about users, roles or scopes changed.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "commands/access.h"
#include "commands/actor_cache.h"
#include "http/login_throttle.h"
#include "store/event_store.h"

namespace folio::http {

struct IssuedToken {
  std::string access_token;
  std::string expires_at;  // RFC 3339
};

struct LoginAnswer {
  std::optional<IssuedToken>
      token;  // nullopt: unknown, inactive or deleted user, or wrong password
  // Set (and no token) when too many logins failed for the user name or from the address.
  std::optional<std::chrono::seconds> retry_after;
};

// The statement log_in runs to find a user's id and password hash by user name ($1, any
// letter case): public so that a test can check it is answered from the username index.
const char* credentials_query();

class AuthService {
 public:
  AuthService(store::EventStore& store, std::chrono::seconds token_lifetime,
              LoginLimits login_limits = {});

  // A token for the user, unless the login limits (login_throttle.h) refuse the attempt
  // first; `client_address` is the client's IP address.
  LoginAnswer log_in(const std::string& username, const std::string& password,
                     const std::string& client_address);

  // The actor behind an `Authorization` header value ("Bearer <token>", scheme
  // case-insensitive); nullopt when missing, malformed, expired or revoked.
  std::optional<commands::Actor> authenticate(std::string_view authorization_header);

  // What the store checks for an `Authorization` header value (see authenticate), for a
  // query that authenticates in the same statement as it reads; nullopt when the header is
  // missing or malformed. Does no store work.
  std::optional<commands::TokenCheck> token_check(std::string_view authorization_header) const;

  // True when no user exists yet (first start).
  bool has_no_users();

 private:
  std::optional<IssuedToken> issue_token(const std::string& username, const std::string& password);

  store::EventStore& store_;
  std::chrono::seconds token_lifetime_;
  LoginThrottle throttle_;
  mutable commands::ActorCache actors_;  // filled and checked by the store's token queries
};

// Lower-case hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

}  // namespace folio::http
