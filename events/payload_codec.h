// Payload (de)serialization: cereal portable binary, so bytes written on one machine decode
// on any other. Each payload type declares its class version with CEREAL_CLASS_VERSION and
// takes `std::uint32_t version` in its serialize() so that old events keep decoding after a
// field is added (see tests/events/payload_codec_test.cpp for the upcasting contract).
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

namespace folio::events {

// Thrown when stored bytes cannot be decoded as the requested payload type: the store is
// corrupt or the type lost backwards compatibility. Never a client error.
class PayloadDecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
std::string encode_payload(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive archive(out);
    archive(value);
  }
  return std::move(out).str();
}

template <class T>
T decode_payload(std::string_view bytes) {
  std::istringstream in(std::string(bytes), std::ios::binary);
  T value{};
  try {
    cereal::PortableBinaryInputArchive archive(in);
    archive(value);
  } catch (const cereal::Exception& e) {
    throw PayloadDecodeError(std::string("cannot decode event payload: ") + e.what());
  } catch (const std::bad_alloc&) {
    // Garbage read as a length prefix asks for an impossible allocation.
    throw PayloadDecodeError("cannot decode event payload: a length is out of range");
  } catch (const std::length_error&) {
    throw PayloadDecodeError("cannot decode event payload: a length is out of range");
  }
  return value;
}

}  // namespace folio::events
