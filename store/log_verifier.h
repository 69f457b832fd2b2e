// `folio verify`'s engine: recomputes every stream's hash chain and the running hash of
// the global log against the seals (store/event_hash.h, store/log_sealer.h), reading in
// batches (constant memory however large the store), and reports what was altered, removed
// or inserted out of band.
//
// What it can and cannot prove: the hashes carry no secret key. Someone who can write the
// database and rewrites an event together with every later hash of its stream and every
// later seal produces a store that verifies as intact; only comparing the printed head
// running hash with one recorded outside the database catches that. Events written before
// migration 0004 have no hash and are reported as not covered.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/event_store.h"

namespace folio::store {

struct LogProblem {
  enum class Kind {
    altered,          // the event's content or hash does not match its chain
    removed,          // a version is missing, or the stream row counts more events than exist
    inserted,         // an event the append did not write (beyond the stream's version, no
                      // stream row, no hash after hashing began)
    reordered,        // versions and positions of a stream disagree
    seal_mismatch,    // the log up to a seal is not what was sealed: events before it were
                      // removed, inserted, reordered or their hashes altered
    anchor_mismatch,  // the log up to a position recorded outside the database (--expect)
                      // no longer hashes to the recorded running hash: it was rewritten
  };
  Kind kind = Kind::altered;
  std::int64_t position = 0;  // the event's (or seal's) global position; 0 if none
  std::string stream_id;      // empty for seal problems
  std::int64_t stream_version = 0;
  std::string detail;
};
const char* kind_name(LogProblem::Kind kind);

struct LogVerifyReport {
  std::int64_t events_checked = 0;  // events read in the stream-chain pass
  std::int64_t streams_checked = 0;
  std::int64_t events_not_covered = 0;  // no hash: written before migration 0004
  std::int64_t seals_checked = 0;
  std::int64_t log_events = 0;          // events up to `head_position` in the log pass
  std::int64_t last_seal_position = 0;  // 0: no seal yet
  std::string last_seal_hash;
  std::int64_t events_after_last_seal = 0;
  std::int64_t head_position = 0;  // the last event of the log pass
  std::string head_running_hash;   // running hash through head_position (64 hex)

  std::int64_t problem_count = 0;
  // The problem at the lowest global position (seal problems by the seal's position).
  std::optional<LogProblem> first;
  // The first `kMaxListed` problems in the order found.
  static constexpr std::size_t kMaxListed = 50;
  std::vector<LogProblem> problems;

  bool intact() const { return problem_count == 0; }
  void add(LogProblem problem);
};

// A running hash recorded outside the database: (position, 64 hex digits), as printed
// by an earlier `folio verify` ("head: position P running hash H").
struct LogAnchor {
  std::int64_t position = 0;
  std::string running_hash;
};

struct LogVerifyOptions {
  std::size_t batch = 1000;
  // Checked when set: the running hash through anchor->position must equal it. This is
  // what catches a rewrite that also rewrote every later hash and seal.
  std::optional<LogAnchor> anchor;
  // Called with the number of events done since the last call, per pass (the log pass
  // calls on_log_events(0) when it starts).
  std::function<void(std::int64_t)> on_stream_events;
  std::function<void(std::int64_t)> on_log_events;
};

// Number of events in the store (for progress totals).
std::int64_t count_events(EventStore& store);

// Both passes: stream chains (in stream order) and the running hash against the seals (in
// position order, up to the log's head when the pass starts). Safe beside a running
// server: appends during the run are either checked or left for the next run. Throws
// StoreError for database failures.
LogVerifyReport verify_log(EventStore& store, const LogVerifyOptions& options = {});

}  // namespace folio::store
