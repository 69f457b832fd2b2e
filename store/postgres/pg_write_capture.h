// A Transaction that runs nothing: it keeps the one write of a unit of work whose only
// statement is one append_with (Access::lazy_write's one-statement write), for a pipe to send
// later (PgEventStore::capture_write). Anything else the unit asks for (a read, a lock, a
// second write) throws NeedsTheStore: such a unit must run the usual way.
#pragma once

#include <memory>

#include "store/detached_transaction.h"
#include "store/postgres/pg_group_commit.h"

namespace folio::store::postgres {

class PgWriteCapture final : public DetachedTransaction {
 public:
  // The write, once the unit has made it (null before).
  std::unique_ptr<GroupWrite> take() { return std::move(write_); }

  // Keeps the write and answers as if it was appended (no positions: they are not known).
  AppendResult append_with(const std::string& stream_id, ExpectedVersion expected,
                           const NewEvent& event, const EventMetadata& metadata,
                           const WriteAlong& along) override;

 private:
  std::unique_ptr<GroupWrite> write_;
};

}  // namespace folio::store::postgres
