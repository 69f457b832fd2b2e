// A connection of group commit (pg_group_commit.h) that keeps up to two batches in flight:
// the next batch is sent while PostgreSQL still runs the one before it, so that its backend
// finds the next statements waiting when it has committed a batch, instead of idling for a
// round trip and for the sender thread to be scheduled (on a busy machine the larger part).
// Each batch ends with its own Sync and so is its own implicit transaction: a failed
// statement skips the rest of its batch only, and the batches commit one after another, in
// the order they were sent, on one backend (a write in a batch sees every earlier batch's).
// Non-blocking: the caller polls socket() for reading, and for writing while wants_write().
// Not thread-safe: one caller thread.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "store/postgres/pg_group_commit.h"

struct pg_conn;

namespace folio::store::postgres {

class PgPipelinedBatches {
 public:
  // At most this many batches in flight: one running and one waiting behind it is enough to
  // keep the backend busy; more would only make the batches smaller (more commits).
  static constexpr std::size_t kDepth = 2;

  // Connects now (blocking); usable() tells whether that worked.
  explicit PgPipelinedBatches(const std::string& url);
  ~PgPipelinedBatches();
  PgPipelinedBatches(const PgPipelinedBatches&) = delete;
  PgPipelinedBatches& operator=(const PgPipelinedBatches&) = delete;

  bool usable() const;
  int socket() const;
  std::size_t in_flight() const { return batches_.size(); }
  bool wants_write() const { return wants_write_; }

  // Sends `batch` (sorted by the members' sort keys, as every group batch). When it cannot
  // be sent, it is answered at once (take_answered): run_alone, or in_doubt once its Sync
  // may have gone out; a lost connection answers the batches in flight before it too.
  void send(std::vector<GroupWrite*> batch);
  void on_readable();
  void on_writable();
  // The batches answered since the last call, in the order they were sent; the members'
  // positions are set.
  std::vector<AnsweredBatch> take_answered();

 private:
  // What the connection answers for a batch, in order: a PREPARE's result (a statement new
  // to this connection) or a member's, each followed by the NULL that ends it; then the Sync.
  struct Step {
    const char* prepared = nullptr;  // a PREPARE of this statement name
    GroupWrite* member = nullptr;
  };
  struct InFlight {
    std::vector<GroupWrite*> batch;
    std::vector<std::unique_ptr<GroupWrite>> merged;  // statements of several members
    std::vector<Step> steps;
    std::size_t next = 0;  // the step whose result comes next; steps.size(): the Sync
    bool statement_failed = false;
    std::string error;  // the first statement's error
  };

  // Answers what libpq has already read; read_result() one result of the front batch.
  void read_buffered();
  void read_result(InFlight& front);
  // Closes the connection: every batch in flight is answered in_doubt (it may have
  // committed), or run_alone when one of its statements had failed (then none did).
  void lose_connection();
  void flush();

  ::pg_conn* conn_ = nullptr;
  std::set<std::string, std::less<>> prepared_;
  std::deque<InFlight> batches_;
  bool awaiting_end_ = false;  // the front step's result was read; its NULL comes next
  bool wants_write_ = false;
  std::vector<AnsweredBatch> answered_;
};

}  // namespace folio::store::postgres
