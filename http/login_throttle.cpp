#include "http/login_throttle.h"

#include <algorithm>
#include <cctype>

#include "commands/subject_keys.h"

namespace folio::http {

namespace {

using store::SqlValue;
using store::Transaction;
using store::Verdict;

constexpr const char* kCountsNow =
    "SELECT throttle_key, failures, window_ends FROM login_failures"
    " WHERE throttle_key IN ($1, $2) AND window_ends > $3";
// A failure: the first of a new window, or one more in the current one.
constexpr const char* kCountFailure =
    "INSERT INTO login_failures (throttle_key, failures, window_ends) VALUES ($1, 1, $2)"
    " ON CONFLICT (throttle_key) DO UPDATE SET"
    " failures = CASE WHEN login_failures.window_ends > $3"
    " THEN login_failures.failures + 1 ELSE 1 END,"
    " window_ends = CASE WHEN login_failures.window_ends > $3"
    " THEN login_failures.window_ends ELSE $2 END";
constexpr const char* kForgetEnded = "DELETE FROM login_failures WHERE window_ends <= $1";
constexpr const char* kForget = "DELETE FROM login_failures WHERE throttle_key = $1";

std::string user_key(const std::string& username) { return commands::login_failure_key(username); }

std::string address_key(const std::string& address) { return "address:" + address; }

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<std::chrono::seconds> LoginThrottle::wait_before_trying(const std::string& username,
                                                                      const std::string& address) {
  const std::int64_t now = unix_now();
  const std::string user = user_key(username);
  const std::vector<SqlValue> params{user, address_key(address), now};
  std::int64_t wait = 0;
  store_.transact(store::Access::read_statement, [&](Transaction& tx) {
    for (const auto& row : tx.query(kCountsNow, params)) {
      const bool for_user = std::get<std::string>(row[0]) == user;
      const auto limit = for_user ? limits_.failures_per_user : limits_.failures_per_address;
      if (std::get<std::int64_t>(row[1]) >= limit) {
        wait = std::max(wait, std::get<std::int64_t>(row[2]) - now);
      }
    }
    return Verdict::commit;
  });
  if (wait <= 0) return std::nullopt;
  return std::chrono::seconds(wait);
}

void LoginThrottle::record_failure(const std::string& username, const std::string& address) {
  const std::int64_t now = unix_now();
  const std::int64_t window_ends = now + limits_.window.count();
  store_.transact(store::Access::read_write, [&](Transaction& tx) {
    for (const auto& key : {user_key(username), address_key(address)}) {
      const std::vector<SqlValue> params{key, window_ends, now};
      tx.execute(kCountFailure, params);
    }
    // Ended windows are forgotten as new failures come, so the table holds only the keys
    // that failed within one window.
    const SqlValue cutoff{now};
    tx.execute(kForgetEnded, std::span(&cutoff, 1));
    return Verdict::commit;
  });
}

void LoginThrottle::record_success(const std::string& username) {
  const SqlValue key{user_key(username)};
  store_.transact(store::Access::read_write, [&](Transaction& tx) {
    tx.execute(kForget, std::span(&key, 1));
    return Verdict::commit;
  });
}

}  // namespace folio::http
