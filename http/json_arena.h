// Memory for one JSON answer that is built, serialized and dropped at once (an entity, a
// 409's body): Boost.JSON gives every object member, key and string an allocation of its
// own, which made the JSON about a fifth of the mallocs of a GET. Values built with
// storage() live in a buffer on the stack instead (past it, in heap blocks freed together).
// Keep the arena alive until the JSON has been serialized.
#pragma once

#include <boost/json.hpp>

namespace folio::http {

class JsonArena {
 public:
  JsonArena() = default;
  JsonArena(const JsonArena&) = delete;
  JsonArena& operator=(const JsonArena&) = delete;

  boost::json::storage_ptr storage() { return &resource_; }

 private:
  // An entity's JSON is a few hundred bytes; a 409 with a long history spills over.
  unsigned char buffer_[4096];
  boost::json::monotonic_resource resource_{buffer_, sizeof buffer_};
};

}  // namespace folio::http
