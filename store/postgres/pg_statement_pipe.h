// StatementPipe on PostgreSQL: one libpq connection of its own, non-blocking, in pipeline
// mode. The statements queued between two flush() calls go out in one write, followed by
// one Sync, so PostgreSQL reads, runs and answers them together, in one implicit
// transaction; each is a read and (under READ COMMITTED) takes its own snapshot, so each
// sees every commit acknowledged before it was sent.
// A failed statement makes PostgreSQL skip the rest of its batch: those are answered with
// nullptr and their callers run them again the usual way (reads only: nothing is lost).
// Writes go to the store's group commit instead (pg_group_commit.h), which batches them with
// those of every other loop and of the blocking units of work: fewer, larger commits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "store/postgres/pg_group_commit.h"
#include "store/postgres/pg_values.h"
#include "store/statement_pipe.h"

struct pg_conn;

namespace folio::store::postgres {

// What the pipes of one store did, summed over them (for /metrics).
struct PipeCounters {
  std::atomic<std::int64_t> batches{0};     // flushes that sent statements
  std::atomic<std::int64_t> statements{0};  // answered with rows
  std::atomic<std::int64_t> failed{0};      // answered nullptr (run again the usual way)
  std::atomic<std::int64_t> writes{0};      // sent to group commit (submit_write)
};

class PgStatementPipe final : public StatementPipe {
 public:
  // Connects when the first statement is queued, and again after the connection breaks
  // (at most once a second while connecting fails; meanwhile statements fail at once).
  // `counters` and `group`, if given, must outlive the pipe. Without `group`, every write
  // fails (and runs the usual way). `on_commit` runs after a write committed (the store's
  // commit listeners), on the thread that learnt it.
  explicit PgStatementPipe(std::string url, PipeCounters* counters = nullptr,
                           PgGroupCommit* group = nullptr, std::function<void()> on_commit = {});
  ~PgStatementPipe() override;

  void open() override {
    if (!conn_) connect();
  }
  void submit(const char* sql, std::span<const SqlValue> params, Done done) override;
  // Hands `write` (PgEventStore::capture_write's) to the group commit: `done` runs on the
  // thread that sent its batch.
  void submit_write(std::unique_ptr<PipedWrite> write, WriteDone done) override;
  bool flush() override;
  void on_readable() override;
  std::size_t pending() const override { return expected_.size(); }
  int socket() const override;
  void set_before_close(std::function<void()> before_close) override {
    before_close_ = std::move(before_close);
  }

 private:
  // What the connection will answer next, in order: a statement's result (then the NULL
  // that ends it), or a Sync's. `done` is empty for a PREPARE.
  struct Expected {
    bool sync = false;
    Done done;
    std::string prepared;  // a PREPARE's statement name
    PgResult result;       // a statement's result, once read
  };

  bool connect();  // false: not now (see the constructor)
  // Closes the connection; every statement not answered yet fails.
  void fail_all();
  void answer(Expected& expected);
  void deliver_failures();

  const std::string url_;
  PipeCounters* const counters_;
  PgGroupCommit* const group_;
  const std::function<void()> on_commit_;
  ::pg_conn* conn_ = nullptr;
  std::set<std::string> prepared_;  // on conn_
  std::deque<Expected> expected_;
  bool unsynced_ = false;     // statements queued after the last Sync
  std::vector<Done> failed_;  // answered nullptr at the next flush() or on_readable()
  std::chrono::steady_clock::time_point next_connect_{};
  std::function<void()> before_close_;
};

}  // namespace folio::store::postgres
