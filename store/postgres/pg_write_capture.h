// A Transaction that runs nothing: it keeps the one write of a unit of work whose only
// statement is one append_with (Access::lazy_write's one-statement write), for a pipe to send
// later (PgEventStore::capture_write). Anything else the unit asks for (a read, a lock, a
// second write) throws NotCapturable: such a unit must run the usual way.
#pragma once

#include <memory>
#include <stdexcept>

#include "store/event_store.h"
#include "store/postgres/pg_group_commit.h"

namespace folio::store::postgres {

struct NotCapturable : std::logic_error {
  NotCapturable() : std::logic_error("this unit of work does more than one write") {}
};

class PgWriteCapture final : public Transaction {
 public:
  // The write, once the unit has made it (null before).
  std::unique_ptr<GroupWrite> take() { return std::move(write_); }

  // Keeps the write and answers as if it was appended (no positions: they are not known).
  AppendResult append_with(const std::string& stream_id, ExpectedVersion expected,
                           const NewEvent& event, const EventMetadata& metadata,
                           const WriteAlong& along) override;

  AppendResult append(const std::string&, ExpectedVersion, std::span<const NewEvent>,
                      const EventMetadata&) override {
    throw NotCapturable();
  }
  std::int64_t stream_version(const std::string&) override { throw NotCapturable(); }
  std::vector<RecordedEvent> read_stream(const std::string&, std::int64_t, std::int64_t) override {
    throw NotCapturable();
  }
  std::vector<RecordedEvent> read_all(std::int64_t, std::size_t) override { throw NotCapturable(); }
  std::int64_t settled_head() override { throw NotCapturable(); }
  std::size_t execute(const char*, std::span<const SqlValue>) override { throw NotCapturable(); }
  std::vector<SqlRow> query(const char*, std::span<const SqlValue>) override {
    throw NotCapturable();
  }
  void execute_script(const std::string&) override { throw NotCapturable(); }
  void lock_key(std::string_view, bool) override { throw NotCapturable(); }

 private:
  std::unique_ptr<GroupWrite> write_;
};

}  // namespace folio::store::postgres
