#include "http/auth.h"

#include <sodium.h>

#include "commands/access.h"
#include "commands/passwords.h"
#include "events/sodium_support.h"
#include "events/timestamp.h"

namespace folio::http {

namespace {

using store::SqlValue;
using store::Transaction;
using store::Verdict;

// The user by name regardless of letter case, through the unique index on lower(username),
// which leaves out erased names (events::kErasedMarker, migration 0011): so must the query,
// or both databases scan every user.
constexpr const char* kCredentials =
    "SELECT u.id, c.password_hash FROM users u JOIN user_credentials c ON c.user_id = u.id"
    " WHERE lower(u.username) = lower(CAST($1 AS TEXT)) AND u.deleted = 0 AND u.is_active = 1"
    " AND u.username <> '[erased]'";
constexpr const char* kInsertToken =
    "INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at)"
    " VALUES ($1, $2, $3, $4)";
constexpr const char* kAnyUser = "SELECT id FROM users LIMIT 1";

// A hash to verify against when the user does not exist, so that unknown usernames take
// as long as wrong passwords.
const std::string& dummy_hash() {
  static const std::string hash =
      commands::hash_password("folio-dummy-password", commands::PasswordPolicy::interactive());
  return hash;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

const char* credentials_query() { return kCredentials; }

std::string sha256_hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return events::to_hex(digest, sizeof digest);
}

AuthService::AuthService(store::EventStore& store, std::chrono::seconds token_lifetime,
                         LoginLimits login_limits)
    : store_(store), token_lifetime_(token_lifetime), throttle_(store, login_limits) {
  events::ensure_sodium();
}

LoginAnswer AuthService::log_in(const std::string& username, const std::string& password,
                                const std::string& client_address) {
  // Refused before the password is checked: the same answer, and as quick, whether or not
  // the user exists and the password is right.
  if (const auto wait = throttle_.wait_before_trying(username, client_address)) {
    return {std::nullopt, wait};
  }
  auto token = issue_token(username, password);
  if (token) {
    throttle_.record_success(username);
  } else {
    throttle_.record_failure(username, client_address);
  }
  return {std::move(token), std::nullopt};
}

std::optional<IssuedToken> AuthService::issue_token(const std::string& username,
                                                    const std::string& password) {
  std::string user_id, hash;
  // No user name holds a NUL (validation refuses it, no column stores one): unknown user.
  if (username.find('\0') == std::string::npos) {
    store_.transact(store::Access::read_only, [&](Transaction& tx) {
      const SqlValue param{username};
      const auto rows = tx.query(kCredentials, std::span(&param, 1));
      if (!rows.empty()) {
        user_id = std::get<std::string>(rows[0][0]);
        hash = std::get<std::string>(rows[0][1]);
      }
      return Verdict::commit;
    });
  }
  const bool verified = commands::verify_password(password, hash.empty() ? dummy_hash() : hash);
  if (hash.empty() || !verified) return std::nullopt;

  unsigned char secret[32];
  randombytes_buf(secret, sizeof secret);
  char token[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(token, sizeof token, secret, sizeof secret,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  const auto now = std::chrono::system_clock::now();
  IssuedToken issued{token, events::format_timestamp(now + token_lifetime_)};
  store_.transact(store::Access::read_write, [&](Transaction& tx) {
    const std::vector<SqlValue> params{sha256_hex(issued.access_token), user_id,
                                       events::format_timestamp(now), issued.expires_at};
    tx.execute(kInsertToken, params);
    return Verdict::commit;
  });
  return issued;
}

std::optional<commands::TokenCheck> AuthService::token_check(std::string_view header) const {
  if (!iequals_prefix(header, "bearer ")) return std::nullopt;
  std::string_view token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty() || token.size() > 256) return std::nullopt;
  return commands::TokenCheck{sha256_hex(token), events::now_timestamp(), &actors_};
}

std::optional<commands::Actor> AuthService::authenticate(std::string_view header) {
  const auto check = token_check(header);
  if (!check) return std::nullopt;
  std::optional<commands::Actor> actor;
  store_.transact(store::Access::read_statement, [&](Transaction& tx) {
    actor = commands::actor_for_token(tx, *check);
    return Verdict::commit;
  });
  return actor;
}

bool AuthService::has_no_users() {
  bool none = false;
  store_.transact(store::Access::read_only, [&](Transaction& tx) {
    none = tx.query(kAnyUser, {}).empty();
    return Verdict::commit;
  });
  return none;
}

}  // namespace folio::http
