#include "events/sealed_value.h"

#include <sodium.h>

#include <array>

#include "events/payload_codec.h"
#include "events/sodium_support.h"

namespace folio::events {

namespace {

constexpr std::string_view kPrefix =
    "\xFF"
    "sealed1";
constexpr std::size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

using Key = std::array<unsigned char, kKeyBytes>;

Key key_from_hex(std::string_view hex) {
  Key key{};
  if (!from_hex(hex, key.data(), key.size())) {
    throw PayloadDecodeError("a data subject's key is damaged");
  }
  return key;
}

std::string associated_data(std::string_view stream_id, std::string_view field) {
  std::string data(stream_id);
  data.push_back('\0');  // no stream id holds a NUL: "a" + "bc" differs from "ab" + "c"
  data.append(field);
  return data;
}

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

std::string new_subject_key() {
  ensure_sodium();
  Key key;
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
  std::string hex = to_hex(key.data(), key.size());
  sodium_memzero(key.data(), key.size());
  return hex;
}

bool is_sealed(std::string_view value) { return value.starts_with(kPrefix); }

std::string seal_value(std::string_view key_hex, std::string_view stream_id, std::string_view field,
                       std::string_view plain) {
  ensure_sodium();
  Key key = key_from_hex(key_hex);
  const std::string ad = associated_data(stream_id, field);
  std::string sealed(kPrefix.size() + kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data()) + kPrefix.size();
  sealed.replace(0, kPrefix.size(), kPrefix);
  randombytes_buf(out, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kNonceBytes, &written, bytes(plain),
                                             plain.size(), bytes(ad), ad.size(), nullptr, out,
                                             key.data());
  sodium_memzero(key.data(), key.size());
  return sealed;
}

std::string open_value(std::string_view key_hex, std::string_view stream_id, std::string_view field,
                       std::string_view sealed) {
  if (key_hex.empty()) return std::string(kErasedMarker);
  ensure_sodium();
  if (!is_sealed(sealed) || sealed.size() < kPrefix.size() + kNonceBytes + kTagBytes) {
    throw PayloadDecodeError("a sealed value is too short");
  }
  const std::string_view body = sealed.substr(kPrefix.size());
  Key key = key_from_hex(key_hex);
  const std::string ad = associated_data(stream_id, field);
  std::string plain(body.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long length = 0;
  const int failed = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(plain.data()), &length, nullptr, bytes(body) + kNonceBytes,
      body.size() - kNonceBytes, bytes(ad), ad.size(), bytes(body), key.data());
  sodium_memzero(key.data(), key.size());
  if (failed != 0) {
    throw PayloadDecodeError("the sealed value of field '" + std::string(field) + "' in " +
                             std::string(stream_id) + " does not open with its subject's key");
  }
  plain.resize(length);
  return plain;
}

bool needs_sealing(const EntitySpec& spec, const std::string& name, const FieldValue& value) {
  const auto* field = spec.field(name);
  const auto* text = std::get_if<std::string>(&value);
  return field && field->personal && text && *text != kErasedMarker;
}

void seal_personal_fields(const EntitySpec& spec, std::string_view key_hex,
                          std::string_view stream_id, FieldMap& fields) {
  for (auto& [name, value] : fields) {
    if (needs_sealing(spec, name, value)) {
      auto& text = std::get<std::string>(value);
      text = seal_value(key_hex, stream_id, name, text);
    }
  }
}

void open_sealed_fields(std::string_view key_hex, std::string_view stream_id, FieldMap& fields) {
  for (auto& [name, value] : fields) {
    auto* text = std::get_if<std::string>(&value);
    if (text && is_sealed(*text)) *text = open_value(key_hex, stream_id, name, *text);
  }
}

}  // namespace folio::events
