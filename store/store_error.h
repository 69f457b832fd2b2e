// Unexpected store failures. Expected outcomes (a version mismatch) are values, never these.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace folio::store {

// Base of every store exception. The message is for operators: it may name the database
// and the failed step, but the HTTP layer never shows it to clients.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database could not be reached or the connection was lost. Retrying later may work;
// HTTP answers 503.
class StoreUnavailable : public StoreError {
 public:
  using StoreError::StoreError;
};

// Another connection held a lock for longer than this one waits for it (SQLite's busy
// timeout: another process writing, a CLI tool, a checkpoint). HTTP answers 503.
class StoreBusy : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

// The connection broke while a write was being committed (or sent without a transaction):
// it may or may not have been saved. HTTP answers 503 and says so.
class StoreOutcomeUnknown : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

// After an erasure was committed, its purge of freed space (EventStore::purge_freed_space)
// could not finish: a transaction older than the erasure was still open. Old values may
// still be in the database files; running the erasure again completes the purge. HTTP
// answers 503 and says so.
class PurgeIncomplete : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

// The database answered but its contents or schema are not what Folio wrote
// (missing tables, undecodable rows, a broken file).
class StoreCorrupt : public StoreError {
 public:
  using StoreError::StoreError;
};

// A caller broke a precondition of the store API (empty stream id, no events, ...). A bug.
class StoreUsageError : public StoreError {
 public:
  using StoreError::StoreError;
};

// A unique index refused a write: a concurrent writer took the same value first. The unit
// of work is over; a caller may run the command again to report the winner.
class UniqueViolation : public StoreError {
 public:
  using StoreError::StoreError;
};

// Text values hold no NUL character on either backend: PostgreSQL's text cannot (libpq
// would cut the value short silently), so SQLite refuses it too. Throws
// std::invalid_argument; the HTTP layer refuses such input long before it gets here.
inline void refuse_nul(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("a text value holds a NUL character, which no column stores");
  }
}

}  // namespace folio::store
