// libsodium, started once for the whole process, and hex text both ways: what the sealing
// of personal values, the event hashes, signed heads, passwords and tokens all need.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace folio::events {

// Initialises libsodium on the first call (thread-safe); throws std::runtime_error if it
// cannot start. Every user of libsodium calls it first.
void ensure_sodium();

// Lower-case hex of `size` bytes.
std::string to_hex(const unsigned char* bytes, std::size_t size);

// Decodes `hex` into exactly `size` bytes at `out`; false (with `out` undefined) unless
// `hex` is exactly 2 * size hex digits.
bool from_hex(std::string_view hex, unsigned char* out, std::size_t size);

}  // namespace folio::events
