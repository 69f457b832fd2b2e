#include "store/event_hash.h"

#include <sodium.h>

#include <array>

#include "events/sodium_support.h"

namespace folio::store {

namespace {

constexpr std::string_view kTag = "folio.event.v1";

void put_int(std::string& out, std::int64_t value) {
  const auto u = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((u >> shift) & 0xff));
  }
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_int(out, static_cast<std::int64_t>(bytes.size()));
  out.append(bytes);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string canonical_event_bytes(std::string_view stream_id, std::int64_t stream_version,
                                  const events::NewEvent& event, std::string_view recorded_at,
                                  const events::EventMetadata& metadata) {
  std::string out;
  out.reserve(kTag.size() + stream_id.size() + event.event_type.size() + event.payload.size() +
              recorded_at.size() + metadata.user_id.size() + metadata.request_id.size() +
              metadata.command_id.size() + 10 * 8);
  put_bytes(out, kTag);
  put_bytes(out, stream_id);
  put_int(out, stream_version);
  put_bytes(out, event.event_type);
  put_int(out, event.schema_version);
  put_bytes(out, event.payload);
  put_bytes(out, recorded_at);
  put_bytes(out, metadata.user_id);
  put_bytes(out, metadata.request_id);
  put_bytes(out, metadata.command_id);
  return out;
}

std::string canonical_event_bytes(const events::RecordedEvent& e) {
  const events::NewEvent event{e.event_type, e.schema_version, e.payload};
  return canonical_event_bytes(e.stream_id, e.stream_version, event, e.recorded_at, e.metadata);
}

std::string chain_hash(std::string_view previous, std::string_view data) {
  events::ensure_sodium();
  static constexpr std::array<unsigned char, kHashBytes> kZero{};
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  if (previous.empty()) {
    crypto_hash_sha256_update(&state, kZero.data(), kZero.size());
  } else {
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(previous.data()),
                              previous.size());
  }
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
  std::string out(kHashBytes, '\0');
  crypto_hash_sha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return {};
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]);
    const int lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace folio::store
