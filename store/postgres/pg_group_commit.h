// Group commit for PostgreSQL: the one-statement writes of concurrent units of work (an
// update's or a creation's row, stream bump and event; see PgTransaction::check_and_insert_one)
// are sent together through libpq's pipeline mode, N statements and one Sync, so that they
// share one round trip, one transaction and one commit (one WAL flush) instead of N.
//
// Leader and followers: a caller whose write finds no batch running (or fewer than
// `max_batches`) sends every write waiting at that moment, its own included, on one of the
// group's connections; the others sleep until their batch is answered. Writes handed over
// without waiting (run_async) are led by `max_batches` threads of the group's own, each with
// a connection that may carry a second batch behind the first (pg_pipelined_batches.h). The
// statements of a batch run in one implicit transaction, so a batch commits all of them or
// none: when one fails (a unique violation, a deadlock with another server's batch) nothing
// of the batch was written and each member is told to run its statement alone, on its own
// connection, as without group commit; its error is then exactly what it would have been.
// The statements of a batch run in the order of their stream ids, so that two batches in
// flight lock rows in one order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/event_store.h"
#include "store/statement_pipe.h"

struct pg_result;  // libpq's PGresult

namespace folio::store::postgres {

// One statement waiting for a batch: a prepared statement (name and text, both outliving the
// write) and its parameters, in libpq's form, copied (a write may outlive its unit of work's
// values: PgStatementPipe sends it later).
class GroupWrite : public PipedWrite {
 public:
  enum class Outcome {
    pending,
    done,       // committed with its batch; position() is its answer (0: nothing written)
    run_alone,  // its batch failed and wrote nothing: run the statement alone
    in_doubt,   // the connection broke after the batch was sent: it may have committed
  };

  GroupWrite(const char* statement_name, const char* statement_sql, std::string sort_key)
      : name_(statement_name), sql_(statement_sql), sort_key_(std::move(sort_key)) {}
  GroupWrite(const GroupWrite&) = delete;
  GroupWrite& operator=(const GroupWrite&) = delete;

  // Parameters in order (copied).
  void add_text(std::string_view text);
  void add_null();
  void add_integer(std::int64_t value);
  void add_binary(std::string_view bytes);

  // A creation's or update's write whose row write has this shape (WriteAlong::shape):
  // group commit may merge it with others of the same shape into one statement
  // (pg_merged_writes.h).
  void set_row_write_shape(const RowWriteShape* shape) { shape_ = shape; }

  // Puts a batch in the order its statements run: by sort key (stream id), so that two
  // batches in flight lock rows in one order.
  static void order_batch(std::vector<GroupWrite*>& batch);

  Outcome outcome() const { return outcome_; }
  std::int64_t position() const { return position_; }
  const std::string& error() const { return error_; }

 private:
  friend class PgGroupCommit;
  friend class PgPipelinedBatches;
  friend struct BatchStatements;
  void add(const char* value, int length, int format);
  // position_ from its statement's result: the first column of the first row, 0 for none.
  // For a merged statement, each part's from the row of its ordinal (pg_merged_writes.h).
  void take_position(const ::pg_result* result);

  const char* name_;
  const char* sql_;
  const std::string sort_key_;
  const RowWriteShape* shape_ = nullptr;
  std::vector<GroupWrite*> parts_;  // of a merged statement, in the order of its rows
  bool merged_ = false;             // a part of a merged statement in its last batch
  std::deque<std::string> copies_;  // of the parameters (a deque: stable addresses)
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  Outcome outcome_ = Outcome::pending;
  std::int64_t position_ = 0;
  std::string error_;
  std::condition_variable answered_;
  std::function<void(GroupWrite&)> done_;  // run_async's
};

// What became of a batch: every member's outcome, and the first statement's error.
struct BatchOutcome {
  GroupWrite::Outcome outcome;
  std::string error;
};

// A batch and what became of it.
struct AnsweredBatch {
  std::vector<GroupWrite*> batch;
  BatchOutcome outcome;
};

class PgGroupCommit {
 public:
  // Opens its connections when first needed: at most `max_batches` for the batches of
  // run() (one batch at a time each), and one for each of the `max_batches` senders of
  // run_async's writes (up to two batches in flight each).
  PgGroupCommit(std::string url, int max_batches);
  ~PgGroupCommit();

  // Sends `write` with the writes waiting beside it and returns when its batch is answered:
  // see GroupWrite::Outcome.
  void run(GroupWrite& write);

  // run() without waiting: `done` runs once the write's batch is answered, on the thread
  // that sent the batch (one of the group's own `max_batches` threads, started with the
  // first such write, or a caller of run() that led it), so the `done` of different
  // batches may run at once. It must be quick and must not call the group.
  void run_async(std::unique_ptr<GroupWrite> write, std::function<void(GroupWrite&)> done);

  // Returns once every run_async write handed over so far has been answered (its `done`
  // has returned): a server that stops waits here before what the callbacks touch goes.
  void wait_for_async_writes();

  // One batch on one of the group's connections, now (tests: a batch of a chosen shape).
  void run_batch(std::vector<GroupWrite*> batch);

  struct Stats {
    std::int64_t batches = 0;         // sent
    std::int64_t writes = 0;          // in them
    std::int64_t failed_batches = 0;  // answered run_alone or in_doubt
    // Sent behind another still in flight on the same connection (PgPipelinedBatches).
    std::int64_t pipelined_batches = 0;
    // Sent in a statement merged with others of their shape, in batches that committed
    // (pg_merged_writes.h; a write whose guard failed in it included).
    std::int64_t merged_writes = 0;
  };
  Stats stats() const;

 private:
  class Connection;
  std::unique_ptr<Connection> take_connection();  // under mutex_
  // Under mutex_ (`lock`, released while the batch is out): sends `first` and what waits
  // behind it as one batch and answers them.
  void lead(std::unique_lock<std::mutex>& lock, GroupWrite* first);
  // Under mutex_: wakes whoever should lead the next batch, if one may start.
  void wake_next_leader();
  // Under mutex_: wakes the senders waiting for their batches' answers that would send
  // another batch behind them (a write joined waiting_).
  void wake_pipelining_senders();
  // Under mutex_: `first` (if any) and what waits behind it, up to a batch's worth.
  std::vector<GroupWrite*> take_batch(GroupWrite* first);
  // Under mutex_ (released while callbacks run): the members told their outcome, the next
  // leader woken. `leader`, the thread that sent the batch, needs no waking.
  void finish(std::unique_lock<std::mutex>& lock, const std::vector<GroupWrite*>& batch,
              const GroupWrite* leader);
  void deliver(std::unique_lock<std::mutex>& lock, std::vector<AnsweredBatch>& answered);
  // A thread that sends the batches of run_async's writes on a connection of its own, up to
  // PgPipelinedBatches::kDepth of them in flight (see pg_pipelined_batches.h).
  void send_async_writes();
  // Under mutex_: the members' outcomes, and the stats.
  void answer(const std::vector<GroupWrite*>& batch, const BatchOutcome& answer);
  BatchOutcome send(std::vector<GroupWrite*>& batch, Connection& connection);

  const std::string url_;
  const int max_batches_;
  mutable std::mutex mutex_;
  std::deque<GroupWrite*> waiting_;
  int running_ = 0;
  std::vector<std::unique_ptr<Connection>> idle_;
  Stats stats_;                             // under mutex_
  std::condition_variable async_waiting_;   // for senders_: a run_async write may lead
  int async_unanswered_ = 0;                // run_async writes whose `done` has not returned
  std::condition_variable async_answered_;  // async_unanswered_ fell to 0
  bool stopping_ = false;
  const int wakeup_fd_;      // an eventfd: written to wake senders in poll()
  int senders_polling_ = 0;  // senders in poll() that would send a batch more
  // Lead the batches of run_async's writes: one per batch that may be in flight, so that
  // the database runs that many at once (each batch runs on one backend, one statement
  // after another).
  std::vector<std::thread> senders_;
};

}  // namespace folio::store::postgres
