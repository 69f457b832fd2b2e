// What an append expects of its stream, checked atomically with the write.
#pragma once

#include <cstdint>

namespace folio::store {

class ExpectedVersion {
 public:
  enum class Kind { exact, no_stream, any };

  // The stream must be at exactly version `v` (v >= 1; use no_stream() for a new stream).
  static constexpr ExpectedVersion exactly(std::int64_t v) { return {Kind::exact, v}; }
  // The stream must not exist yet (its version is 0).
  static constexpr ExpectedVersion no_stream() { return {Kind::no_stream, 0}; }
  // No check. For internal use (imports, system streams), never for client commands.
  static constexpr ExpectedVersion any() { return {Kind::any, 0}; }

  constexpr Kind kind() const { return kind_; }
  constexpr std::int64_t version() const { return version_; }

 private:
  constexpr ExpectedVersion(Kind k, std::int64_t v) : kind_(k), version_(v) {}
  Kind kind_;
  std::int64_t version_;
};

}  // namespace folio::store
