#include "store/signed_head.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "events/sodium_support.h"

namespace folio::store {

namespace {

constexpr const char* kSecretHeader = "folio-ed25519-secret-key v1";
constexpr const char* kPublicHeader = "folio-ed25519-public-key v1";
constexpr const char* kStatementPrefix = "folio-head v1 ";
constexpr const char* kSignatureField = " signature=";

using events::ensure_sodium;
using events::to_hex;

template <std::size_t N>
bool from_hex(const std::string& hex, std::array<unsigned char, N>& out) {
  return events::from_hex(hex, out.data(), N);
}

// Creates `path` with `mode`, refusing to replace a file, and writes `text`.
void write_new_file(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // whatever the umask
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) throw std::runtime_error(path + ": could not be written");
}

// The key of a key file: its header line, then the hex line.
template <std::size_t N>
std::array<unsigned char, N> read_key(const std::string& path, const char* header) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(path + ": cannot be read");
  std::string first, hex;
  std::getline(file, first);
  std::getline(file, hex);
  std::array<unsigned char, N> key{};
  if (first != header || !from_hex(hex, key)) {
    throw std::runtime_error(path + ": not a " + std::string(header) + " file (folio keygen)");
  }
  return key;
}

// The signed part of a statement line and its signature's hex; false if not a statement.
bool split_statement(const std::string& line, std::string& message, std::string& signature) {
  if (line.rfind(kStatementPrefix, 0) != 0) return false;
  const auto at = line.rfind(kSignatureField);
  // " signature=" must come after the whole prefix (whose last space it could overlap).
  if (at == std::string::npos || at < std::strlen(kStatementPrefix)) return false;
  message = line.substr(0, at);
  signature = line.substr(at + std::strlen(kSignatureField));
  return true;
}

}  // namespace

KeyPair generate_key_pair() {
  ensure_sodium();
  KeyPair keys;
  crypto_sign_keypair(keys.public_key.data(), keys.secret.data());
  return keys;
}

void write_key_files(const std::string& prefix, const KeyPair& keys) {
  const std::string secret =
      std::string(kSecretHeader) + "\n" + to_hex(keys.secret.data(), keys.secret.size()) + "\n";
  const std::string public_key = std::string(kPublicHeader) + "\n" +
                                 to_hex(keys.public_key.data(), keys.public_key.size()) + "\n";
  struct stat existing;
  if (::stat((prefix + ".pub").c_str(), &existing) == 0) {
    throw std::runtime_error(prefix + ".pub: exists; choose another name");
  }
  write_new_file(prefix + ".key", secret, 0600);
  write_new_file(prefix + ".pub", public_key, 0644);
}

SecretKey read_secret_key(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    throw std::runtime_error(path + ": readable by others than its owner; chmod 600 it");
  }
  return read_key<64>(path, kSecretHeader);
}

PublicKey read_public_key(const std::string& path) { return read_key<32>(path, kPublicHeader); }

std::string sign_head(const LogAnchor& head, const std::string& time, const std::string& version,
                      const SecretKey& secret) {
  ensure_sodium();
  std::ostringstream message;
  message << kStatementPrefix << "position=" << head.position
          << " running_hash=" << head.running_hash << " time=" << time << " version=" << version;
  const std::string text = message.str();
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), secret.data());
  return text + kSignatureField + to_hex(signature, sizeof signature);
}

std::optional<HeadStatement> parse_head_statement(const std::string& line, std::string& error) {
  std::string message, signature;
  if (!split_statement(line, message, signature)) {
    error = "not a signed statement (it starts with \"folio-head v1\" and ends with a signature)";
    return std::nullopt;
  }
  HeadStatement statement;
  statement.signature_hex = signature;
  std::istringstream fields(message.substr(std::strlen(kStatementPrefix)));
  std::string field;
  bool have_position = false;
  while (fields >> field) {
    const auto eq = field.find('=');
    const std::string key = field.substr(0, eq == std::string::npos ? field.size() : eq);
    const std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (key == "position" && !value.empty() && value.size() <= 18 &&
        value.find_first_not_of("0123456789") == std::string::npos) {
      statement.head.position = std::stoll(value);
      have_position = true;
    } else if (key == "running_hash") {
      statement.head.running_hash = value;
    } else if (key == "time") {
      statement.time = value;
    } else if (key == "version") {
      statement.version = value;
    }
  }
  if (!have_position || statement.head.running_hash.size() != 64 ||
      statement.head.running_hash.find_first_not_of("0123456789abcdef") != std::string::npos ||
      signature.size() != crypto_sign_BYTES * 2) {
    error = "the statement lacks a position, a running hash of 64 hex digits or a signature";
    return std::nullopt;
  }
  return statement;
}

bool head_statement_signed_by(const std::string& line, const PublicKey& key) {
  ensure_sodium();
  std::string message, signature_hex;
  std::array<unsigned char, crypto_sign_BYTES> signature{};
  if (!split_statement(line, message, signature_hex) || !from_hex(signature_hex, signature)) {
    return false;
  }
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.data()) == 0;
}

}  // namespace folio::store
