// Password hashing with Argon2id (libsodium). Hashes are kept in user_credentials,
// outside the event stream; the clear password never reaches events, responses or logs.
#pragma once

#include <string>

namespace folio::commands {

struct PasswordPolicy {
  // libsodium's "interactive" limits by default. Tests may lower them; never production.
  unsigned long long ops_limit;
  std::size_t mem_limit;
  static PasswordPolicy interactive();
  static PasswordPolicy fast_for_tests();
};

// A self-describing Argon2id hash string (salt and parameters included). Slow by design:
// call it outside any database transaction.
std::string hash_password(const std::string& password, const PasswordPolicy& policy);

// Constant-time check of `password` against a hash from hash_password().
bool verify_password(const std::string& password, const std::string& hash);

}  // namespace folio::commands
