// Transactions that reach no database, for deciding a unit of work on what the caller
// already holds: DetachedTransaction refuses every call with NeedsTheStore; a subclass
// answers the few it can (AppendCapture and PgWriteCapture keep the one write;
// StreamExcerptTransaction serves reads of one stream from events read beforehand). A unit
// that asks for anything else must run the usual way, with EventStore::transact.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "store/event_store.h"

namespace folio::store {

struct NeedsTheStore : std::logic_error {
  NeedsTheStore() : std::logic_error("this unit of work needs the store itself") {}
};

class DetachedTransaction : public Transaction {
 public:
  AppendResult append(const std::string&, ExpectedVersion, std::span<const NewEvent>,
                      const EventMetadata&) override {
    throw NeedsTheStore();
  }
  AppendResult append_with(const std::string&, ExpectedVersion, const NewEvent&,
                           const EventMetadata&, const WriteAlong&) override {
    throw NeedsTheStore();
  }
  std::int64_t stream_version(const std::string&) override { throw NeedsTheStore(); }
  std::vector<RecordedEvent> read_stream(const std::string&, std::int64_t, std::int64_t) override {
    throw NeedsTheStore();
  }
  std::vector<RecordedEvent> read_all(std::int64_t, std::size_t) override { throw NeedsTheStore(); }
  std::int64_t settled_head() override { throw NeedsTheStore(); }
  std::size_t execute(const char*, std::span<const SqlValue>) override { throw NeedsTheStore(); }
  std::vector<SqlRow> query(const char*, std::span<const SqlValue>) override {
    throw NeedsTheStore();
  }
  void execute_script(const std::string&) override { throw NeedsTheStore(); }
  void lock_key(std::string_view, bool) override { throw NeedsTheStore(); }

 protected:
  // What append_with answers for the one event a subclass keeps to write later: the
  // stream's version after it (the exact one expected, or a new stream's 0, plus one), and
  // no positions yet.
  static AppendResult appended_later(ExpectedVersion expected) {
    const std::int64_t from =
        expected.kind() == ExpectedVersion::Kind::exact ? expected.version() : 0;
    return AppendResult{AppendResult::Status::appended, from + 1, 0, 0};
  }
};

// The events of one stream from version `from` to `to` (both included), as read at once
// (EventStore::read_stream_through); versions up to a version the reader saw committed
// never change, so later reads of them agree.
struct StreamExcerpt {
  std::string stream_id;
  std::int64_t from = 1;
  std::int64_t to = 0;
  std::vector<RecordedEvent> events;  // in version order
};

// Answers read_stream of the excerpt's stream within its range; everything else throws
// NeedsTheStore.
class StreamExcerptTransaction final : public DetachedTransaction {
 public:
  explicit StreamExcerptTransaction(const StreamExcerpt& excerpt) : excerpt_(excerpt) {}

  std::vector<RecordedEvent> read_stream(const std::string& stream_id, std::int64_t from_version,
                                         std::int64_t to_version) override {
    if (stream_id != excerpt_.stream_id || from_version < excerpt_.from ||
        to_version > excerpt_.to) {
      throw NeedsTheStore();
    }
    std::vector<RecordedEvent> events;
    for (const auto& e : excerpt_.events) {
      if (e.stream_version >= from_version && e.stream_version <= to_version) events.push_back(e);
    }
    return events;
  }

 private:
  const StreamExcerpt& excerpt_;
};

}  // namespace folio::store
