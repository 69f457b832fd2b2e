// A Transaction that keeps the one write of a unit of work (one append_with, the read
// model's row with it) to run it later in a transaction of the store: the unit is decided
// on the caller's thread, and the store's own thread only writes (SQLite's writer, for an
// update decided on remembered rows: CommandHandler::decide_async). Anything else the unit
// asks for (a read, a lock, a second write) throws NeedsTheStore: decide that one in the
// store's transaction instead.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/detached_transaction.h"

namespace folio::store {

class AppendCapture final : public DetachedTransaction {
 public:
  // Keeps copies of the write and answers as if it was appended (no positions yet).
  AppendResult append_with(const std::string& stream_id, ExpectedVersion expected,
                           const NewEvent& event, const EventMetadata& metadata,
                           const WriteAlong& along) override;

  bool captured() const { return kept_.has_value(); }

  // The kept write, run in `tx` (what its append_with answers there: appended, or nothing
  // written when the row or the stream moved since the unit was decided).
  AppendResult replay(Transaction& tx) const;

 private:
  struct Kept {
    std::string stream_id;
    ExpectedVersion expected;
    NewEvent event;
    EventMetadata metadata;
    const char* sql;
    std::vector<SqlValue> params;
    const RowWriteShape* shape;
  };
  std::optional<Kept> kept_;
};

}  // namespace folio::store
