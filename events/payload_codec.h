// Payload (de)serialization: cereal portable binary, so bytes written on one machine decode
// on any other. Each payload type declares its class version with CEREAL_CLASS_VERSION and
// takes `std::uint32_t version` in its serialize() so that old events keep decoding after a
// field is added (see tests/events/payload_codec_test.cpp for the upcasting contract).
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <new>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>

namespace folio::events::detail {
// What is left of the payload decode_payload is decoding on this thread (no limit outside
// it): no string in it can be longer.
inline thread_local std::size_t payload_bytes_left = static_cast<std::size_t>(-1);

// A read-only stream buffer over bytes that stay where they are (no copy).
class BytesBuffer : public std::streambuf {
 public:
  void reset(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // never written: a get area only
    setg(begin, begin, begin + bytes.size());
  }
};

// A write-only stream buffer that appends to a string.
class StringSink : public std::streambuf {
 public:
  void reset(std::string* out) { out_ = out; }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    out_->append(data, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof()))
      out_->push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string* out_ = nullptr;
};

// A stream over its buffer, one per thread, lent to one encoding or decoding at a time. An
// istringstream or ostringstream per payload (a copy of the bytes, a locale and its facets
// looked up) cost more than the coding itself: 4 % of the event loops on PostgreSQL's hot
// set (every 409 decodes the history it shows), 3 % on SQLite's PATCH (each event encoded).
// The thread's streams end with it: no thread-local or static destructor may encode or decode.
template <class Buffer, class Stream>
struct ThreadStream {
  Buffer buffer;
  Stream stream{&buffer};
  bool in_use = false;
};
using PayloadSource = ThreadStream<BytesBuffer, std::istream>;
using PayloadSink = ThreadStream<StringSink, std::ostream>;
inline thread_local PayloadSource payload_source;
inline thread_local PayloadSink payload_sink;

// Lends the thread's stream `shared` for one call, its buffer over `target`; a stream of its
// own when `shared` is lent already (none is today: a payload's serialize() codes nothing
// else).
template <class S>
class StreamLease {
 public:
  template <class Target>
  StreamLease(S& shared, Target target) : lent_(shared.in_use ? own_.emplace() : shared) {
    lent_.in_use = true;
    lent_.buffer.reset(target);
    lent_.stream.clear();
  }
  ~StreamLease() {
    lent_.buffer.reset({});
    lent_.in_use = false;
  }
  StreamLease(const StreamLease&) = delete;
  StreamLease& operator=(const StreamLease&) = delete;
  auto& stream() { return lent_.stream; }

 private:
  std::optional<S> own_;  // before lent_: constructed first
  S& lent_;
};
}  // namespace folio::events::detail

namespace cereal {
// Strings from stored payloads: a length prefix longer than the payload itself is damage, and
// is refused before anything is allocated for it (cereal's own load would first allocate as
// much as the prefix says: gigabytes for a few garbage bytes). Chosen over cereal's template
// for this archive, the only one payloads are read with.
inline void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive, std::string& text) {
  size_type size = 0;
  archive(make_size_tag(size));
  if (size > folio::events::detail::payload_bytes_left) {
    throw Exception("a string is longer than the payload holding it");
  }
  text.resize(static_cast<std::size_t>(size));
  archive(binary_data(text.data(), static_cast<std::size_t>(size)));
}

// A boolean is one byte, 0 or 1: any other value read into a bool is undefined behaviour.
inline void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& archive, bool& value) {
  std::uint8_t byte = 0;
  archive(byte);
  if (byte > 1) throw Exception("a boolean is neither 0 nor 1");
  value = byte == 1;
}
}  // namespace cereal

namespace folio::events {

// Thrown when stored bytes cannot be decoded as the requested payload type: the store is
// corrupt or the type lost backwards compatibility. Never a client error.
class PayloadDecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
std::string encode_payload(const T& value) {
  std::string bytes;
  {
    detail::StreamLease<detail::PayloadSink> lease(detail::payload_sink, &bytes);
    cereal::PortableBinaryOutputArchive archive(lease.stream());
    archive(value);
  }
  return bytes;
}

template <class T>
T decode_payload(std::string_view bytes) {
  detail::StreamLease<detail::PayloadSource> lease(detail::payload_source, bytes);
  T value{};
  struct Bound {  // the payload's size bounds every string in it, while it is decoded
    std::size_t before = detail::payload_bytes_left;
    explicit Bound(std::size_t size) { detail::payload_bytes_left = size; }
    ~Bound() { detail::payload_bytes_left = before; }
  } bound(bytes.size());
  try {
    cereal::PortableBinaryInputArchive archive(lease.stream());
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
