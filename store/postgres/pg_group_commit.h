// Group commit for PostgreSQL: the one-statement writes of concurrent units of work (an
// update's or a creation's row, stream bump and event; see PgTransaction::check_and_insert_one)
// are sent together through libpq's pipeline mode, N statements and one Sync, so that they
// share one round trip, one transaction and one commit (one WAL flush) instead of N.
//
// Leader and followers, no thread of its own: a caller whose write finds no batch running
// (or fewer than `max_batches`) sends every write waiting at that moment, its own included,
// on one of the group's connections; the others sleep until their batch is answered. The
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
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace folio::store::postgres {

// One statement waiting for a batch: a prepared statement (name and text, both outliving the
// write) and its parameters, in libpq's form.
class GroupWrite {
 public:
  enum class Outcome {
    pending,
    done,       // committed with its batch; position() is its answer (0: nothing written)
    run_alone,  // its batch failed and wrote nothing: run the statement alone
    in_doubt,   // the connection broke after the batch was sent: it may have committed
  };

  GroupWrite(const char* statement_name, const char* statement_sql, std::string_view sort_key)
      : name_(statement_name), sql_(statement_sql), sort_key_(sort_key) {}
  GroupWrite(const GroupWrite&) = delete;
  GroupWrite& operator=(const GroupWrite&) = delete;

  // Parameters in order; each viewed value must outlive the write.
  void add_text(std::string_view text);
  void add_null();
  void add_integer(std::int64_t value);
  void add_binary(std::string_view bytes);

  Outcome outcome() const { return outcome_; }
  std::int64_t position() const { return position_; }
  const std::string& error() const { return error_; }

 private:
  friend class PgGroupCommit;
  void add(const char* value, int length, int format);

  const char* name_;
  const char* sql_;
  const std::string_view sort_key_;
  std::deque<std::string> integers_;  // texts of the integer parameters (stable addresses)
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  Outcome outcome_ = Outcome::pending;
  std::int64_t position_ = 0;
  std::string error_;
  std::condition_variable answered_;
};

class PgGroupCommit {
 public:
  // Opens its connections (at most `max_batches`, each sending one batch at a time) when
  // first needed.
  PgGroupCommit(std::string url, int max_batches);
  ~PgGroupCommit();

  // Sends `write` with the writes waiting beside it and returns when its batch is answered:
  // see GroupWrite::Outcome.
  void run(GroupWrite& write);

  // One batch on one of the group's connections, now (tests: a batch of a chosen shape).
  void run_batch(std::vector<GroupWrite*> batch);

  struct Stats {
    std::int64_t batches = 0;         // sent
    std::int64_t writes = 0;          // in them
    std::int64_t failed_batches = 0;  // answered run_alone or in_doubt
  };
  Stats stats() const;

 private:
  class Connection;
  struct BatchAnswer {
    GroupWrite::Outcome outcome;
    std::string error;
  };
  std::unique_ptr<Connection> take_connection();  // under mutex_
  // Under mutex_: the members' outcomes, and the stats.
  void answer(const std::vector<GroupWrite*>& batch, const BatchAnswer& answer);
  BatchAnswer send(std::vector<GroupWrite*>& batch, Connection& connection);

  const std::string url_;
  const int max_batches_;
  mutable std::mutex mutex_;
  std::deque<GroupWrite*> waiting_;
  int running_ = 0;
  std::vector<std::unique_ptr<Connection>> idle_;
  Stats stats_;  // under mutex_
};

}  // namespace folio::store::postgres
