// Reads and writes answered later instead of blocking the caller: one-statement reads and a
// unit of work's one-statement write (EventStore::capture_write) sent on a connection of
// their own, several per round trip (PostgreSQL's pipeline mode). For an event loop that
// must not wait for the database while other requests are ready (http/loop_statement_pipe.h
// drives one per loop). Not thread-safe: one caller thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "store/event_store.h"

namespace folio::store {

// A unit of work's one write, captured instead of sent (EventStore::capture_write); only the
// store that captured it knows what is inside.
class PipedWrite {
 public:
  virtual ~PipedWrite() = default;
};

// What became of a PipedWrite.
enum class WriteAnswer {
  committed,  // its batch committed; the position is its event's, 0 when it wrote nothing
  failed,     // nothing was written (not sent, or its batch rolled back): run the unit again
  in_doubt,   // the connection broke after it was sent: it may or may not have committed
};

class StatementPipe {
 public:
  // The statement's rows, or nullptr when it failed for any reason (the connection broke or
  // could not be opened, the statement failed): the caller then runs it the usual way, with
  // EventStore::transact, and meets the failure there as it would without the pipe.
  using Done = std::function<void(const std::vector<SqlRow>* rows)>;
  using WriteDone = std::function<void(WriteAnswer answer, std::int64_t position)>;

  virtual ~StatementPipe() = default;

  // Connects now rather than with the first statement (at a server's start, so that the
  // first requests do not wait for it). Failing, the first statement tries again.
  virtual void open() = 0;

  // Queues `sql` (a read that is one statement, run by itself) with `params`; `done` runs
  // from a later on_readable() (or from flush() / on_readable() with nullptr when the
  // connection fails). Nothing is sent before flush().
  virtual void submit(const char* sql, std::span<const SqlValue> params, Done done) = 0;
  // Sends a write of the store that opened this pipe (EventStore::capture_write) to be
  // committed, perhaps with others; `done` runs once its fate is known, on whichever thread
  // learns it (LoopStatementPipe hands it back to its loop).
  virtual void submit_write(std::unique_ptr<PipedWrite> write, WriteDone done) = 0;
  // Sends what was queued since the last flush as one batch. True when output is still
  // waiting for the socket to take it: call flush() again once it is writable.
  virtual bool flush() = 0;
  // Reads what the socket holds and runs the `done` of every statement answered.
  virtual void on_readable() = 0;
  // Statements sent or queued and not yet answered.
  virtual std::size_t pending() const = 0;
  // The connection's socket to watch (-1 when none is open). It changes when the pipe
  // reconnects; `before_close` runs just before the pipe closes a socket it has reported.
  virtual int socket() const = 0;
  virtual void set_before_close(std::function<void()> before_close) = 0;
};

}  // namespace folio::store
