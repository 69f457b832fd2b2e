// Signed statements of the log head (`folio verify --sign`, `--expect STATEMENT
// --public-key`): Ed25519 (libsodium) over one line an auditor keeps outside the database,
//   folio-head v1 position=P running_hash=H time=T version=V signature=S
// The signature covers everything before " signature=". A later `folio verify` checks the
// signature with the auditor's public key, then that the log up to P still hashes to H.
// Key files (`folio keygen`) are text: a header line, then the key in hex.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "store/log_verifier.h"

namespace folio::store {

using SecretKey = std::array<unsigned char, 64>;  // libsodium's Ed25519 secret key
using PublicKey = std::array<unsigned char, 32>;

struct KeyPair {
  SecretKey secret{};
  PublicKey public_key{};
};

KeyPair generate_key_pair();

// Writes PREFIX.key (the secret key, mode 0600, never over an existing file) and
// PREFIX.pub (mode 0644). Throws std::runtime_error with the reason.
void write_key_files(const std::string& prefix, const KeyPair& keys);

// Read back; throw std::runtime_error naming the file and what is wrong with it. A secret
// key file readable by others than its owner is refused.
SecretKey read_secret_key(const std::string& path);
PublicKey read_public_key(const std::string& path);

struct HeadStatement {
  LogAnchor head;
  std::string time;     // RFC 3339 UTC, when it was signed
  std::string version;  // Folio's version and commit that signed it
  std::string signature_hex;
};

// The statement line for `head`, signed with `secret`.
std::string sign_head(const LogAnchor& head, const std::string& time, const std::string& version,
                      const SecretKey& secret);

// Parses a statement line; nullopt with `error` set when it is not one.
std::optional<HeadStatement> parse_head_statement(const std::string& line, std::string& error);

// Whether `line`'s signature is valid under `key` (false for anything not a statement).
bool head_statement_signed_by(const std::string& line, const PublicKey& key);

}  // namespace folio::store
