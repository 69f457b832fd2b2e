// The event store: one interface, a SQLite and a PostgreSQL implementation.
//
// All work happens in units of work: `transact` runs a function inside one database
// transaction and commits it once. The append's version check and its write are one atomic
// step inside that transaction; later layers (projections) add their SQL to the same unit.
//
// Thread-safety: an EventStore is safe to use from many threads at once. A Transaction
// belongs to the thread running the unit of work and must not escape it.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "events/envelope.h"
#include "store/expected_version.h"
#include "store/store_error.h"

namespace folio::store {

using events::EventMetadata;
using events::NewEvent;
using events::RecordedEvent;

// A value in generic SQL (read models, rules): NULL, an integer or text. Booleans are
// stored as 0/1 integers so that both dialects share one schema.
using SqlValue = std::variant<std::monostate, std::int64_t, std::string>;
using SqlRow = std::vector<SqlValue>;

struct AppendResult {
  enum class Status {
    appended,          // the events were written
    duplicate,         // the command id was already stored: the original result, nothing written
    version_mismatch,  // expected version did not hold: nothing written
  };
  Status status = Status::appended;
  // appended/duplicate: the stream version after the (original) append.
  // version_mismatch: the stream's actual version (0 = no stream).
  std::int64_t stream_version = 0;
  // Global positions of the first and last event written (0 on version_mismatch).
  std::int64_t first_position = 0;
  std::int64_t last_position = 0;

  bool ok() const { return status != Status::version_mismatch; }
  bool operator==(const AppendResult&) const = default;
};

// A read model's row write (WriteAlong) described so that the store may run the writes of
// many rows of one table as one statement (PostgreSQL's group commit does:
// pg_merged_writes.h). `columns` are the row's columns in the order of the parameters, the
// key (id) first, each with its SQL type. An insert (`INSERT INTO table (columns) VALUES
// ($1, ...)`) has no other parameter. An update (`UPDATE table SET column = $2, ... WHERE
// id = $1 AND version = $N+1`) has the version the row must still have after them, and with
// `epoch_guard` (`... AND (SELECT epoch FROM access_epoch) = $N+2`) the access epoch.
struct RowWriteShape {
  std::string table;
  std::vector<std::pair<std::string, std::string>> columns;  // name, SQL type
  bool insert = false;
  bool epoch_guard = false;
};

// A write of the layers above that goes with an append (Transaction::append_with): `sql`
// with $1, $2, ... placeholders (static storage, no other '$', as Transaction::execute)
// that changes one row (an UPDATE guarded by a version, or an INSERT).
struct WriteAlong {
  const char* sql = nullptr;
  std::span<const SqlValue> params;
  // Set when `sql` is the row write of this shape (static storage, as `sql`).
  const RowWriteShape* shape = nullptr;
};

// One open transaction. Every call runs inside it; nothing is visible to others until the
// unit of work commits.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Appends `events` (at least one) to `stream_id` if `expected` holds, all or nothing.
  // If metadata.command_id is non-empty and an earlier append to this stream carried the
  // same command id, returns that append's result with status `duplicate` and writes
  // nothing. Stream ids look like "<entity_type>-<uuid>".
  virtual AppendResult append(const std::string& stream_id, ExpectedVersion expected,
                              std::span<const NewEvent> events, const EventMetadata& metadata) = 0;

  // As append() of one event with an exact or no_stream expectation, with `along` (a
  // read model's row, say) written in the same atomic step: both or neither. When `along`
  // changes no row, nothing is written and the answer is as for a failed expectation
  // (version_mismatch, or duplicate for a repeated command id). On PostgreSQL this is one
  // statement, so it may be the one write of an Access::lazy_write unit of work.
  // Elsewhere it may run as two statements: after a failed answer, roll the unit back.
  virtual AppendResult append_with(const std::string& stream_id, ExpectedVersion expected,
                                   const NewEvent& event, const EventMetadata& metadata,
                                   const WriteAlong& along) = 0;

  // The stream's current version; 0 when the stream does not exist.
  virtual std::int64_t stream_version(const std::string& stream_id) = 0;

  // Events of one stream with from_version <= stream_version <= to_version, in order.
  virtual std::vector<RecordedEvent> read_stream(const std::string& stream_id,
                                                 std::int64_t from_version = 1,
                                                 std::int64_t to_version = INT64_MAX) = 0;

  // Up to `limit` events with global_position > after_position, in position order. A reader
  // that follows the log by passing the last position it saw never skips an event: an
  // event cannot become visible later with a position below one already returned.
  // On PostgreSQL this first waits for the appends in flight at the call (on any other
  // connection) to commit or roll back; it never makes an append wait. So never call it
  // while holding another unit of work open that has appended.
  virtual std::vector<RecordedEvent> read_all(std::int64_t after_position, std::size_t limit) = 0;

  // The position of the last event at or below which no event can still commit (0 for an
  // empty log): everything read_all would return up to it. Waits as read_all does.
  virtual std::int64_t settled_head() = 0;

  // Generic SQL for the layers above (read models, rules). `sql` uses $1, $2, ...
  // placeholders on both dialects, must be a string with static storage duration (it keys
  // the per-connection prepared-statement cache), and must not contain '$' elsewhere.
  // Throws UniqueViolation when a unique index refuses the write; after that the unit of
  // work must end (let the exception propagate).
  virtual std::size_t execute(const char* sql, std::span<const SqlValue> params) = 0;
  virtual std::vector<SqlRow> query(const char* sql, std::span<const SqlValue> params) = 0;

  // Runs `sql` (one or more statements without parameters) unprepared: schema changes
  // (CREATE, DROP, ALTER, LOCK TABLE) made by the layers above inside a unit of work, such
  // as a read-model rebuild's shadow tables and their swap.
  virtual void execute_script(const std::string& sql) = 0;

  // Serializes this transaction with every other one that locks the same key, until the
  // transaction ends (PostgreSQL: an advisory transaction lock on a hash of the key;
  // SQLite: nothing to do, its single writer already serializes all writes). `shared`
  // locks only exclude exclusive ones.
  virtual void lock_key(std::string_view key, bool shared = false) = 0;
};

enum class Access {
  read_only,
  read_write,
  // Reads that need no common snapshot: each statement sees the data committed when it
  // starts (a single statement is always consistent in itself). Both backends run them
  // without BEGIN/COMMIT (PostgreSQL saves two round trips, SQLite two lock calls). For
  // one-statement reads, or statements whose answers need not agree with each other.
  read_statement,
  // As read_write, but on PostgreSQL the transaction begins only at the first statement
  // that needs one (a lock or a write), and a unit whose only write is one append_with at
  // its end runs without BEGIN/COMMIT: the statement commits by itself. Saves one round
  // trip per unit, two for such commands. The reads before the BEGIN see what the
  // statements of a read-committed transaction see (each its own snapshot, no locks held
  // yet). SQLite runs it as read_write.
  lazy_write,
};

// The unit of work's verdict on its own transaction.
enum class Verdict { commit, rollback };

class StatementPipe;
class PipedWrite;

// One figure of a store's own, for /metrics: a Prometheus series without labels.
struct StoreStatistic {
  const char* name;  // folio_store_...
  const char* help;
  bool counter;  // else a gauge
  double value;
};

class EventStore {
 public:
  using Work = std::function<Verdict(Transaction&)>;

  virtual ~EventStore() = default;

  // Runs `work` in one transaction and commits it when `work` returns Verdict::commit.
  // Returns after the commit is durable. If `work` throws, its changes are rolled back and
  // the exception propagates. Throws StoreUnavailable / StoreCorrupt for database failures.
  // `work` may be run more than once (PostgreSQL retries deadlocks), so it must not have
  // side effects outside the transaction before it returns.
  // Do not call transact from inside `work`: that may deadlock. Each call is timed
  // (unit_timings).
  void transact(Access access, const Work& work);

  // "sqlite" or "postgresql".
  virtual std::string dialect() const = 0;

  // A pipe for reads that answer later (statement_pipe.h), for one event loop; nullptr
  // when this store's reads do not wait for a server (SQLite).
  virtual std::unique_ptr<StatementPipe> open_statement_pipe();

  // The one write of `work`, captured instead of sent, for a pipe of this store to commit
  // with its batch (StatementPipe::submit_write). nullptr when `work` does anything else
  // (a read, a lock, a second write), returns Verdict::rollback, or this store has no pipes:
  // then run it with transact(Access::lazy_write, work). `work` runs once; the positions of
  // its append are 0, and all it decided holds only once the pipe answers `committed` with
  // a position (0: the write changed nothing, as for a version that moved meanwhile).
  virtual std::unique_ptr<PipedWrite> capture_write(const Work& work);

  // Transaction::read_stream's events of `stream_id` from `from` to `to`, read through
  // `pipe` (one this store opened) without waiting: `done` runs from the pipe's answer with
  // them, or with nullptr when the pipe could not read them (read them the usual way).
  // Without pipes (the default), `done` runs at once with nullptr.
  using StreamDone = std::function<void(std::vector<RecordedEvent>* events)>;
  virtual void read_stream_through(StatementPipe& pipe, const std::string& stream_id,
                                   std::int64_t from, std::int64_t to, StreamDone done);

  // transact(Access::read_write, work) without waiting for it, where this store runs units
  // of work on a thread of its own (SQLite: its writer, with its next batch): `done` runs on
  // a thread of the store's (SQLite: the one that syncs the commits) once the unit committed
  // durably or rolled back, with nullptr or what `work` or the commit threw (as transact
  // would have thrown it). `work` and `done` must own what they
  // use; `done` must be quick. False, and nothing done, when this store cannot (PostgreSQL;
  // a full queue): use transact. Timed as transact's writes.
  bool transact_async(Work work, std::function<void(std::exception_ptr)> done);

  // Returns once every write handed over without waiting (transact_async, and the captured
  // writes of this store's pipes) has been answered: its `done` has returned. A server
  // that stops calls it before what those callbacks use goes away.
  void wait_for_async_writes();

  // How long units of work took, from the call of transact to its return (waits for a
  // connection or a writer's batch included), as a histogram: reads (read_statement,
  // read_only) or writes (the others). Thread-safe.
  struct UnitTimings {
    static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    std::array<std::uint64_t, kBounds.size()> at_most{};  // cumulative: units <= kBounds[i]
    std::uint64_t count = 0;
    double seconds = 0;  // their sum
  };
  UnitTimings unit_timings(bool writes) const;

  // After rows holding personal values were rewritten or deleted (erasure), makes sure no
  // copy of the old bytes stays in the database's files: SQLite zeroes freed content as it
  // goes (secure_delete) and here checkpoints and truncates its WAL; PostgreSQL rewrites
  // `tables` (VACUUM FULL), which drops their dead row versions. Both first wait up to
  // StoreOptions::purge_wait for transactions older than the call; throws StoreUnavailable
  // when some were still open then (the purge is incomplete: call it again once they end),
  // or when the database cannot be reached.
  virtual void purge_freed_space(const std::vector<std::string>& tables) = 0;

  // Figures of this store's own machinery (PostgreSQL: group commit, pipelined reads, the
  // connection pool); none by default. Thread-safe.
  virtual std::vector<StoreStatistic> statistics() const { return {}; }

  // Convenience wrappers, each one unit of work of its own.
  AppendResult append(const std::string& stream_id, ExpectedVersion expected,
                      std::span<const NewEvent> events, const EventMetadata& metadata);
  std::int64_t stream_version(const std::string& stream_id);
  std::vector<RecordedEvent> read_stream(const std::string& stream_id,
                                         std::int64_t from_version = 1,
                                         std::int64_t to_version = INT64_MAX);
  std::vector<RecordedEvent> read_all(std::int64_t after_position, std::size_t limit);

  // Calls `listener` after every unit of work of this store that committed (read_write), on
  // the committing thread: it must be quick, must not throw and must not use the store. For
  // followers of the log that step soon after a write instead of at their next poll
  // (store/follower_wait.h). Listeners stay for the store's lifetime.
  void add_commit_listener(std::function<void()> listener);

 protected:
  // transact's work, by each backend.
  virtual void run_unit(Access access, const Work& work) = 0;
  // transact_async's, by a backend that can (false by default).
  virtual bool run_unit_async(Work work, std::function<void(std::exception_ptr)> done);
  void notify_committed();
  // wait_for_async_writes' part for the writes a backend's pipes hand over (none by default).
  virtual void wait_for_piped_writes() {}

 private:
  // transact_async's units whose `done` has not returned yet.
  std::mutex async_mutex_;
  std::condition_variable async_answered_;
  int async_unanswered_ = 0;
  std::mutex listeners_mutex_;  // uncontended: commits are far apart next to this
  std::vector<std::function<void()>> commit_listeners_;
  struct TimingCounters {
    std::array<std::atomic<std::uint64_t>, UnitTimings::kBounds.size()> at_most{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> micros{0};
    void record(std::chrono::steady_clock::time_point started);  // one unit, started then
  };
  std::array<TimingCounters, 2> timings_;  // [0] reads, [1] writes
};

// The position of the last committed event (0 for an empty log), in `tx`. Takes no lock:
// events with smaller positions may still be committing (read_all waits for them).
std::int64_t head_position(Transaction& tx);

struct StoreOptions {
  // PostgreSQL: connections in the pool. SQLite: reader connections (one writer always).
  int connections = 4;
  // SQLite: most units of work committed together in one transaction.
  int max_batch = 64;
  // PostgreSQL: the one-statement writes of concurrent units share a transaction (group
  // commit, store/postgres/pg_group_commit.h) with at most this many such transactions in
  // flight, each on a connection of its own beside the pool's; 0: each commits by itself.
  int group_commits = 1;
  // PostgreSQL: every statement of this store's connections is cancelled after this long
  // (statement_timeout; waiting for a lock counts), so that a stuck database answers a
  // request with 503 instead of holding it forever. 0: no limit (the server's setting).
  // A statement_timeout in the URL's own `options` wins.
  std::chrono::milliseconds statement_timeout{0};
  // How long purge_freed_space (after an erasure) waits for transactions that began before
  // it: what their snapshots can still see stays in the files (PostgreSQL's VACUUM FULL
  // keeps it; SQLite's WAL cannot be emptied under an old reader).
  std::chrono::milliseconds purge_wait{30000};
  // SQLite: how long a write waits in all for the database's write lock while another
  // connection (another process) holds it, counted from when the write was queued, so that
  // a write queued behind a batch that is itself waiting does not wait twice. Then 503.
  std::chrono::milliseconds lock_wait{10000};
};

// Opens the store named by a database URL:
//   sqlite:///absolute/path.db, sqlite:relative/path.db, postgresql://user:pw@host:port/db
// The schema must have been migrated (see store/migrator.h). Throws StoreUnavailable.
std::unique_ptr<EventStore> open_event_store(const std::string& url,
                                             const StoreOptions& options = {});

}  // namespace folio::store
