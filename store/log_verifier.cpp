#include "store/log_verifier.h"

#include <climits>
#include <utility>

#include "store/event_hash.h"

namespace folio::store {

namespace {

// Events in stream order, keyset-paged by (stream_id, stream_version), each with its
// stream row's version read in the same statement (so the two agree even while a server
// appends); the payload as hex so that generic queries return it alike on both dialects.
// Grouping relies only on the database's own order, never on comparing ids in C++.
#define FOLIO_STREAM_EVENTS(PAYLOAD_HEX)                                      \
  "SELECT e.stream_id, e.stream_version, e.global_position, e.event_type, "   \
  "e.schema_version, " PAYLOAD_HEX                                            \
  ", e.recorded_at, e.user_id, e.request_id, e.command_id, e.event_hash,"     \
  " s.version FROM events e LEFT JOIN streams s ON s.stream_id = e.stream_id" \
  " WHERE (e.stream_id, e.stream_version) > ($1, $2)"                         \
  " ORDER BY e.stream_id, e.stream_version LIMIT $3"
constexpr const char* kSqliteStreamEvents = FOLIO_STREAM_EVENTS("hex(e.payload)");
constexpr const char* kPgStreamEvents = FOLIO_STREAM_EVENTS("encode(e.payload, 'hex')");
#undef FOLIO_STREAM_EVENTS
// Stream rows that count events none of which exists.
constexpr const char* kStreamsWithoutEvents =
    "SELECT stream_id, version FROM streams s WHERE stream_id > $1 AND version > 0"
    " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = s.stream_id)"
    " ORDER BY stream_id LIMIT $2";
constexpr const char* kLogHashes =
    "SELECT global_position, event_hash FROM events"
    " WHERE global_position > $1 AND global_position <= $2 ORDER BY global_position LIMIT $3";
constexpr const char* kSeals =
    "SELECT position, running_hash FROM log_seals WHERE position > $1 AND position <= $2"
    " ORDER BY position LIMIT $3";
// The first seal beyond the log's head, and how many events it covers beyond the head now.
constexpr const char* kSealBeyondHead =
    "SELECT s.position, (SELECT COUNT(*) FROM events e WHERE e.global_position > $1"
    " AND e.global_position <= s.position) FROM log_seals s WHERE s.position > $1"
    " ORDER BY s.position LIMIT 1";
constexpr const char* kCountEvents = "SELECT COUNT(*) FROM events";

using Kind = LogProblem::Kind;

std::int64_t int_at(const SqlRow& row, std::size_t i) {
  const auto* n = std::get_if<std::int64_t>(&row[i]);
  return n ? *n : 0;
}
std::optional<std::int64_t> maybe_int(const SqlRow& row, std::size_t i) {
  const auto* n = std::get_if<std::int64_t>(&row[i]);
  return n ? std::optional(*n) : std::nullopt;
}
std::string text_at(const SqlRow& row, std::size_t i) {
  const auto* s = std::get_if<std::string>(&row[i]);
  return s ? *s : std::string();
}
bool is_null_at(const SqlRow& row, std::size_t i) {
  return std::holds_alternative<std::monostate>(row[i]);
}

// Rows of a keyset-paged query, one read-only unit of work per page.
class PagedRows {
 public:
  // `fetch(last)` returns the page after row `last` (nullptr: the first page).
  using Fetch = std::function<std::vector<SqlRow>(Transaction&, const SqlRow* last)>;
  PagedRows(EventStore& store, std::size_t page, Fetch fetch)
      : store_(store), page_(page), fetch_(std::move(fetch)) {}

  const SqlRow* peek() {
    if (next_ == rows_.size() && !exhausted_) refill();
    return next_ < rows_.size() ? &rows_[next_] : nullptr;
  }
  void pop() { ++next_; }

 private:
  void refill() {
    std::optional<SqlRow> last;
    if (!rows_.empty()) last = std::move(rows_.back());
    // One statement per page: no BEGIN/COMMIT needed (pages need not share a snapshot).
    store_.transact(Access::read_statement, [&](Transaction& tx) {
      rows_ = fetch_(tx, last ? &*last : nullptr);
      return Verdict::commit;
    });
    next_ = 0;
    exhausted_ = rows_.size() < page_;
  }

  EventStore& store_;
  std::size_t page_;
  Fetch fetch_;
  std::vector<SqlRow> rows_;
  std::size_t next_ = 0;
  bool exhausted_ = false;
};

// The event of a kSqliteStreamEvents / kPgStreamEvents row, for canonical_event_bytes.
events::RecordedEvent event_of(const SqlRow& row) {
  events::RecordedEvent e;
  e.stream_id = text_at(row, 0);
  e.stream_version = int_at(row, 1);
  e.global_position = int_at(row, 2);
  e.event_type = text_at(row, 3);
  e.schema_version = static_cast<std::int32_t>(int_at(row, 4));
  e.payload = from_hex(text_at(row, 5));
  e.recorded_at = text_at(row, 6);
  e.metadata.user_id = text_at(row, 7);
  e.metadata.request_id = text_at(row, 8);
  e.metadata.command_id = text_at(row, 9);
  return e;
}

// Checks one stream's events in version order.
class StreamChecker {
 public:
  StreamChecker(std::string stream_id, LogVerifyReport& report)
      : stream_id_(std::move(stream_id)), report_(report) {}

  void add(const SqlRow& row) {
    const std::int64_t version = int_at(row, 1);
    const std::int64_t position = int_at(row, 2);
    row_version_ = maybe_int(row, 11);
    ++report_.events_checked;
    if (!row_version_) {
      if (last_version_ == 0) {
        report_.add({Kind::inserted, position, stream_id_, version,
                     "the stream has events but no row in streams: written out of band"});
      }
    } else if (version > *row_version_ && !reported_beyond_) {
      reported_beyond_ = true;
      report_.add({Kind::inserted, position, stream_id_, version,
                   "version " + std::to_string(version) + " is beyond the stream's version " +
                       std::to_string(*row_version_) + ": not written by an append"});
    }
    bool chain_known = true;
    if (version != last_version_ + 1) {
      report_.add({Kind::removed, position, stream_id_, last_version_ + 1,
                   "versions " + std::to_string(last_version_ + 1) + ".." +
                       std::to_string(version - 1) + " are missing before version " +
                       std::to_string(version) + " (position " + std::to_string(position) + ")"});
      chain_known = false;  // the missing event's hash is unknown: resume from this one
    }
    if (position <= last_position_) {
      report_.add({Kind::reordered, position, stream_id_, version,
                   "version " + std::to_string(version) + " has position " +
                       std::to_string(position) + ", not after version " +
                       std::to_string(last_version_) + "'s position " +
                       std::to_string(last_position_)});
    }
    if (is_null_at(row, 10)) {
      previous_hash_.clear();  // unhashed (the log pass judges whether that is allowed)
    } else {
      const std::string stored = from_hex(text_at(row, 10));
      if (stored.size() != kHashBytes) {
        report_.add({Kind::altered, position, stream_id_, version,
                     "event_hash is not 64 hex digits: '" + text_at(row, 10) + "'"});
      } else if (chain_known &&
                 chain_hash(previous_hash_, canonical_event_bytes(event_of(row))) != stored) {
        report_.add({Kind::altered, position, stream_id_, version,
                     std::string("the event does not match its hash: its content (payload, "
                                 "type or metadata) was changed") +
                         (version > 1 ? ", or the hash of version " + std::to_string(version - 1) +
                                            " was rewritten"
                                      : std::string())});
      }
      previous_hash_ = stored;
    }
    last_version_ = version;
    last_position_ = position;
  }

  // After the stream's last event: does the stream row count more events than exist?
  void finish() {
    if (row_version_ && *row_version_ > last_version_) {
      report_.add({Kind::removed, last_position_, stream_id_, last_version_ + 1,
                   "the stream is at version " + std::to_string(*row_version_) +
                       " but its last event is version " + std::to_string(last_version_) +
                       " (position " + std::to_string(last_position_) +
                       "): the events after it were removed"});
    }
  }

 private:
  std::string stream_id_;
  LogVerifyReport& report_;
  std::int64_t last_version_ = 0;
  std::int64_t last_position_ = 0;
  std::optional<std::int64_t> row_version_;  // from the last row read
  bool reported_beyond_ = false;
  std::string previous_hash_;  // raw; empty = start of the chain
};

void verify_stream_chains(EventStore& store, const LogVerifyOptions& options,
                          LogVerifyReport& report) {
  const char* events_sql = store.dialect() == "postgresql" ? kPgStreamEvents : kSqliteStreamEvents;
  const auto page = static_cast<std::int64_t>(options.batch);
  PagedRows events(store, options.batch, [&](Transaction& tx, const SqlRow* last) {
    const SqlValue params[] = {last ? (*last)[0] : SqlValue{std::string()},
                               last ? (*last)[1] : SqlValue{std::int64_t{0}}, page};
    return tx.query(events_sql, params);
  });
  std::int64_t unreported = 0;
  for (const SqlRow* event = events.peek(); event;) {
    const std::string stream_id = text_at(*event, 0);
    StreamChecker checker(stream_id, report);
    for (; event && text_at(*event, 0) == stream_id; event = events.peek()) {
      checker.add(*event);
      events.pop();
      if (++unreported == page && options.on_stream_events) {
        options.on_stream_events(unreported);
        unreported = 0;
      }
    }
    checker.finish();
    ++report.streams_checked;
  }
  if (unreported > 0 && options.on_stream_events) options.on_stream_events(unreported);

  PagedRows empty_streams(store, options.batch, [&](Transaction& tx, const SqlRow* last) {
    const SqlValue params[] = {last ? (*last)[0] : SqlValue{std::string()}, page};
    return tx.query(kStreamsWithoutEvents, params);
  });
  for (const SqlRow* stream = empty_streams.peek(); stream; stream = empty_streams.peek()) {
    ++report.streams_checked;
    report.add({Kind::removed, 0, text_at(*stream, 0), 1,
                "the stream is at version " + std::to_string(int_at(*stream, 1)) +
                    " but all its events were removed"});
    empty_streams.pop();
  }
}

// The last position below which no event can still commit (Transaction::settled_head).
std::int64_t settled_head(EventStore& store) {
  std::int64_t head = 0;
  store.transact(Access::read_only, [&](Transaction& tx) {
    head = tx.settled_head();
    return Verdict::commit;
  });
  return head;
}

void verify_running_hash(EventStore& store, const LogVerifyOptions& options,
                         LogVerifyReport& report) {
  if (options.on_log_events) options.on_log_events(0);  // the pass starts
  const std::int64_t head = settled_head(store);
  const auto page = static_cast<std::int64_t>(options.batch);
  PagedRows events(store, options.batch, [&](Transaction& tx, const SqlRow* last) {
    const SqlValue params[] = {last ? (*last)[0] : SqlValue{std::int64_t{0}}, head, page};
    return tx.query(kLogHashes, params);
  });
  PagedRows seals(store, options.batch, [&](Transaction& tx, const SqlRow* last) {
    const SqlValue params[] = {last ? (*last)[0] : SqlValue{std::int64_t{0}}, head, page};
    return tx.query(kSeals, params);
  });

  std::string running(kHashBytes, '\0');
  std::int64_t first_hashed = 0;
  std::int64_t previous_seal = 0;
  auto check_seals_before = [&](std::int64_t position) {
    for (const SqlRow* seal = seals.peek(); seal && int_at(*seal, 0) < position;
         seal = seals.peek()) {
      const std::int64_t at = int_at(*seal, 0);
      const std::string sealed = text_at(*seal, 1);
      ++report.seals_checked;
      if (to_hex(running) != sealed) {
        report.add({Kind::seal_mismatch, at, "", 0,
                    "the log up to position " + std::to_string(at) + " hashes to " +
                        to_hex(running) + " but was sealed as " + sealed +
                        ": an event in positions " + std::to_string(previous_seal + 1) + ".." +
                        std::to_string(at) +
                        " was removed, inserted or reordered, or its hash was altered"});
        // Check later seals against this one, so one change is reported once.
        const std::string raw = from_hex(sealed);
        if (raw.size() == kHashBytes) running = raw;
      }
      report.last_seal_position = at;
      report.last_seal_hash = sealed;
      report.events_after_last_seal = 0;
      previous_seal = at;
      seals.pop();
    }
  };

  std::optional<std::string> at_anchor;  // the running hash through the anchor's position
  auto pass_anchor = [&](std::int64_t next_position) {
    if (options.anchor && !at_anchor && next_position > options.anchor->position) {
      at_anchor = to_hex(running);
    }
  };

  std::int64_t unreported = 0;
  for (const SqlRow* event = events.peek(); event; event = events.peek()) {
    const std::int64_t position = int_at(*event, 0);
    check_seals_before(position);
    pass_anchor(position);
    if (is_null_at(*event, 1)) {
      if (first_hashed > 0) {
        report.add({Kind::inserted, position, "", 0,
                    "the event at position " + std::to_string(position) +
                        " has no hash although every event since position " +
                        std::to_string(first_hashed) +
                        " has one: it was inserted out of band or its hash was removed"});
      } else {
        ++report.events_not_covered;
      }
    } else {
      const std::string hash = from_hex(text_at(*event, 1));
      if (hash.size() == kHashBytes) running = chain_hash(running, hash);
      if (first_hashed == 0) first_hashed = position;
    }
    ++report.log_events;
    ++report.events_after_last_seal;
    report.head_position = position;
    events.pop();
    if (++unreported == page && options.on_log_events) {
      options.on_log_events(unreported);
      unreported = 0;
    }
  }
  check_seals_before(INT64_MAX);
  if (unreported > 0 && options.on_log_events) options.on_log_events(unreported);
  report.head_running_hash = to_hex(running);
  if (options.anchor) {
    const LogAnchor& anchor = *options.anchor;
    pass_anchor(INT64_MAX);
    if (anchor.position > head) {
      report.add({Kind::anchor_mismatch, head + 1, "", 0,
                  "the recorded position " + std::to_string(anchor.position) +
                      " is beyond the end of the log (position " + std::to_string(head) +
                      "): events were removed"});
    } else if (*at_anchor != anchor.running_hash) {
      report.add({Kind::anchor_mismatch, anchor.position, "", 0,
                  "the log up to position " + std::to_string(anchor.position) + " hashes to " +
                      *at_anchor + ", not to the recorded " + anchor.running_hash +
                      ": events up to it were rewritten"});
    }
  }

  // A seal beyond the head is fine if events were appended (and sealed) since the head was
  // read; one that covers no event at all means the end of the log was removed.
  store.transact(Access::read_only, [&](Transaction& tx) {
    const SqlValue param{head};
    const auto rows = tx.query(kSealBeyondHead, std::span(&param, 1));
    if (!rows.empty() && int_at(rows[0], 1) == 0) {
      const std::int64_t at = int_at(rows[0], 0);
      report.add({Kind::removed, head + 1, "", 0,
                  "the log ends at position " + std::to_string(head) +
                      " but was sealed up to position " + std::to_string(at) +
                      ": the events after position " + std::to_string(head) + " were removed"});
    }
    return Verdict::commit;
  });
}

}  // namespace

const char* kind_name(LogProblem::Kind kind) {
  switch (kind) {
    case Kind::altered:
      return "altered";
    case Kind::removed:
      return "removed";
    case Kind::inserted:
      return "inserted";
    case Kind::reordered:
      return "reordered";
    case Kind::seal_mismatch:
      return "seal mismatch";
    case Kind::anchor_mismatch:
      return "recorded hash mismatch";
  }
  return "?";
}

void LogVerifyReport::add(LogProblem problem) {
  ++problem_count;
  const bool earlier = !first || (problem.position != 0 &&
                                  (first->position == 0 || problem.position < first->position));
  if (earlier) first = problem;
  if (problems.size() < kMaxListed) problems.push_back(std::move(problem));
}

std::int64_t count_events(EventStore& store) {
  std::int64_t count = 0;
  store.transact(Access::read_only, [&](Transaction& tx) {
    count = int_at(tx.query(kCountEvents, {}).at(0), 0);
    return Verdict::commit;
  });
  return count;
}

LogVerifyReport verify_log(EventStore& store, const LogVerifyOptions& options) {
  LogVerifyReport report;
  verify_stream_chains(store, options, report);
  verify_running_hash(store, options, report);
  return report;
}

}  // namespace folio::store
