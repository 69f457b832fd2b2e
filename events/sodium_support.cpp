#include "events/sodium_support.h"

#include <sodium.h>

#include <stdexcept>

namespace folio::events {

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();  // the terminating NUL
  return hex;
}

bool from_hex(std::string_view hex, unsigned char* out, std::size_t size) {
  std::size_t length = 0;
  return hex.size() == size * 2 &&
         sodium_hex2bin(out, size, hex.data(), hex.size(), nullptr, &length, nullptr) == 0 &&
         length == size;
}

}  // namespace folio::events
