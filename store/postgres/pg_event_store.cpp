#include "store/postgres/pg_event_store.h"

#include <chrono>
#include <optional>
#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>
#include <thread>

#include "store/database_url.h"
#include "store/postgres/pg_statement_pipe.h"
#include "store/postgres/pg_transaction.h"
#include "store/postgres/pg_write_capture.h"
#include "store/sql_transaction.h"

namespace folio::store::postgres {

namespace {

// SQLSTATEs of a database that could not do the work now, not of a wrong request: the
// statement timeout or a lock timeout (57014, 55P03), a full disk or too little memory
// (class 53), the server shutting down or starting (57P01..57P03). Nothing was written.
bool is_unavailable(const std::string& state) {
  return state == "57014" || state == "55P03" || state.rfind("53", 0) == 0 ||
         state.rfind("57P", 0) == 0;
}

// Deadlocks and serialization failures are retried this often before giving up.
constexpr int kMaxAttempts = 3;
constexpr auto kAcquireTimeout = std::chrono::seconds(30);
}  // namespace

PgEventStore::PgEventStore(std::string url, const StoreOptions& options)
    : url_(options.statement_timeout.count() > 0
               ? with_postgres_options(url, "-c statement_timeout=" +
                                                std::to_string(options.statement_timeout.count()))
               : std::move(url)),
      options_(options) {
  if (options.group_commits > 0) {
    group_ = std::make_unique<PgGroupCommit>(url_, options.group_commits);
  }
  idle_.push_back(connect());
  open_ = 1;
}

PgEventStore::~PgEventStore() = default;

void PgEventStore::purge_freed_space(const std::vector<std::string>& tables) {
  // A rewrite into new files: the old ones, dead row versions included, are truncated at
  // commit. Brief ACCESS EXCLUSIVE locks on small tables (users, workers, keys).
  // A transaction that began before the erasure may still see the old row versions, and
  // VACUUM FULL copies what any snapshot can still see: wait (StoreOptions::purge_wait)
  // until every transaction of this database that began before now has ended. Sessions of
  // other roles show no backend_xmin without pg_read_all_stats, and are not waited for.
  static constexpr const char* kOlderSnapshots =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
      " AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL AND xact_start < $1::timestamptz";
  auto connection = acquire();
  const ReleaseOnExit release_on_exit{this, connection};  // also when VACUUM is refused
  std::int64_t older = 0;
  try {
    pqxx::nontransaction vacuum(*connection);
    const auto since = vacuum.exec1("SELECT clock_timestamp()::text")[0].as<std::string>();
    const auto deadline = std::chrono::steady_clock::now() + options_.purge_wait;
    for (;;) {
      older = vacuum.exec_params1(kOlderSnapshots, since)[0].as<std::int64_t>();
      if (older == 0 || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Not while they are open: VACUUM FULL would keep what they see anyway, and it would
    // wait for the locks of any that read these tables, with every later query of the
    // tables (logins) queued behind it.
    if (older == 0) {
      for (const auto& table : tables) vacuum.exec0("VACUUM FULL " + vacuum.quote_name(table));
    }
  } catch (const pqxx::broken_connection& e) {
    throw StoreUnavailable(std::string("lost PostgreSQL while purging after an erasure: ") +
                           e.what());
  }
  if (older > 0) {
    throw PurgeIncomplete(std::to_string(older) +
                          " transaction(s) older than the erasure were still open after " +
                          std::to_string(options_.purge_wait.count()) +
                          " ms: old row versions they can see may still be in the database "
                          "files; the erasure itself is committed: run it again once they "
                          "have ended");
  }
}

std::unique_ptr<pqxx::connection> PgEventStore::connect() const {
  try {
    auto connection = std::make_unique<pqxx::connection>(url_);
    prepare_event_store_statements(*connection);
    return connection;
  } catch (const pqxx::broken_connection& e) {
    throw StoreUnavailable("cannot connect to PostgreSQL at " + redact_database_url(url_) + ": " +
                           e.what());
  }
}

std::unique_ptr<pqxx::connection> PgEventStore::acquire() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    if (open_ < options_.connections) {
      ++open_;
      lock.unlock();
      try {
        return connect();
      } catch (...) {
        lock.lock();
        --open_;
        throw;
      }
    }
    // Woken by release(): a connection came back, or a broken one was dropped and another
    // may be opened in its place.
    ++pool_waits_;
    const auto waited_from = std::chrono::steady_clock::now();
    const bool woken = connection_free_.wait_for(
        lock, kAcquireTimeout, [&] { return !idle_.empty() || open_ < options_.connections; });
    pool_wait_micros_ += std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - waited_from)
                             .count();
    if (!woken) throw StoreUnavailable("no PostgreSQL connection became free within 30 s");
  }
}

void PgEventStore::release(std::unique_ptr<pqxx::connection> connection) {
  {
    std::lock_guard lock(mutex_);
    if (connection && connection->is_open()) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;  // closed: the pool opens a new one when needed
    }
  }
  connection_free_.notify_one();
}

// Access::lazy_write: PgTransaction sends BEGIN when a statement needs it; this ends what
// it began (libpqxx's nontransaction knows nothing of it).
void PgEventStore::run_lazily(pqxx::transaction_base& tx, PgTransaction& folio_tx,
                              const Work& work) {
  Verdict verdict;
  try {
    verdict = work(folio_tx);
  } catch (...) {
    if (folio_tx.begun()) {
      try {
        tx.exec("ROLLBACK");
      } catch (...) {  // the connection is gone: the server rolls back itself
      }
    } else if (folio_tx.committed_alone()) {
      notify_committed();  // its one statement committed before the unit failed
    }
    throw;
  }
  if (!folio_tx.begun()) {
    if (!folio_tx.committed_alone()) return;
    notify_committed();  // its one statement committed by itself
    if (verdict == Verdict::rollback) {
      throw StoreUsageError("a lazy_write unit asked to roll back a write that committed");
    }
    return;
  }
  if (verdict == Verdict::rollback) {
    tx.exec("ROLLBACK");
    return;
  }
  try {
    tx.exec("COMMIT");
  } catch (const pqxx::broken_connection& e) {
    throw pqxx::in_doubt_error(e.what());  // as pqxx::work's commit reports it
  }
  notify_committed();
}

void PgEventStore::wait_for_piped_writes() {
  if (group_) group_->wait_for_async_writes();
}

std::unique_ptr<StatementPipe> PgEventStore::open_statement_pipe() {
  return std::make_unique<PgStatementPipe>(url_, &pipe_counters_, group_.get(),
                                           [this] { notify_committed(); });
}

std::unique_ptr<PipedWrite> PgEventStore::capture_write(const Work& work) {
  if (!group_) return nullptr;  // the pipes' writes go through it
  PgWriteCapture capture;
  try {
    if (work(capture) != Verdict::commit) return nullptr;
  } catch (const NeedsTheStore&) {
    return nullptr;
  }
  return capture.take();
}

void PgEventStore::read_stream_through(StatementPipe& pipe, const std::string& stream_id,
                                       std::int64_t from, std::int64_t to, StreamDone done) {
  const SqlValue params[] = {stream_id, from, to};
  pipe.submit(read_stream_sql(), params, [done = std::move(done)](const std::vector<SqlRow>* rows) {
    std::optional<std::vector<RecordedEvent>> events;
    if (rows) {
      try {
        events = events_of(*rows);
      } catch (const std::exception&) {
        // rows of an unexpected shape: nullptr, the usual way
      }
    }
    done(events ? &*events : nullptr);
  });
}

std::vector<StoreStatistic> PgEventStore::statistics() const {
  auto count = [](const std::atomic<std::int64_t>& n) { return static_cast<double>(n.load()); };
  std::vector<StoreStatistic> out = {
      {"folio_store_pool_waits_total",
       "Units of work that waited for a pooled PostgreSQL connection.", true, count(pool_waits_)},
      {"folio_store_pool_wait_seconds_total", "Time units of work waited for a connection.", true,
       count(pool_wait_micros_) / 1e6},
      {"folio_store_pipelined_batches_total",
       "Batches of reads sent by the event loops' pipelines.", true, count(pipe_counters_.batches)},
      {"folio_store_pipelined_statements_total", "Reads answered through the pipelines.", true,
       count(pipe_counters_.statements)},
      {"folio_store_pipelined_failures_total",
       "Reads the pipelines could not answer (run again the usual way).", true,
       count(pipe_counters_.failed)},
      {"folio_store_pipelined_writes_total",
       "Creations and updates the event loops handed to group commit without waiting.", true,
       count(pipe_counters_.writes)},
  };
  if (group_) {
    const auto group = group_->stats();
    out.push_back({"folio_store_group_commit_batches_total", "Transactions sent by group commit.",
                   true, static_cast<double>(group.batches)});
    out.push_back({"folio_store_group_commit_writes_total",
                   "Writes committed or tried in group-commit batches.", true,
                   static_cast<double>(group.writes)});
    out.push_back({"folio_store_group_commit_failed_batches_total",
                   "Group-commit batches that wrote nothing (each member then ran alone).", true,
                   static_cast<double>(group.failed_batches)});
    out.push_back({"folio_store_group_commit_pipelined_batches_total",
                   "Group-commit batches sent while the one before them still ran on their "
                   "connection.",
                   true, static_cast<double>(group.pipelined_batches)});
    out.push_back({"folio_store_group_commit_merged_writes_total",
                   "Creations and updates sent in a statement shared with others of their table, "
                   "in batches that committed (a write whose guard failed included).",
                   true, static_cast<double>(group.merged_writes)});
  }
  return out;
}

void PgEventStore::run_unit(Access access, const Work& work) {
  std::unique_ptr<pqxx::connection> connection;
  const ReleaseOnExit release_on_exit{this, connection};

  for (int attempt = 1;; ++attempt) {
    if (!connection) connection = acquire();
    try {
      if (access == Access::read_statement) {
        pqxx::nontransaction tx(*connection);
        PgTransaction folio_tx(tx);
        work(folio_tx);
      } else if (access == Access::lazy_write) {
        pqxx::nontransaction tx(*connection);
        PgTransaction folio_tx(tx, /*lazy=*/true, group_.get());
        run_lazily(tx, folio_tx, work);
      } else if (access == Access::read_only) {
        pqxx::read_transaction tx(*connection);
        PgTransaction folio_tx(tx);
        work(folio_tx);
        tx.commit();
      } else {
        pqxx::work tx(*connection);
        PgTransaction folio_tx(tx);
        if (work(folio_tx) == Verdict::commit) {
          tx.commit();
          notify_committed();
        } else {
          tx.abort();
        }
      }
      return;
    } catch (const pqxx::transaction_rollback& e) {
      // Deadlock or serialization failure: nothing was written; run the unit again.
      if (attempt >= kMaxAttempts) {
        throw StoreUnavailable(std::string("PostgreSQL kept aborting the transaction: ") +
                               e.what());
      }
    } catch (const pqxx::broken_connection& e) {
      connection.reset();
      release(nullptr);
      throw StoreUnavailable(std::string("lost the PostgreSQL connection: ") + e.what());
    } catch (const pqxx::in_doubt_error& e) {
      connection.reset();
      release(nullptr);
      throw StoreOutcomeUnknown(
          std::string("the PostgreSQL connection broke during commit; the outcome is "
                      "unknown: ") +
          e.what());
    } catch (const pqxx::undefined_table& e) {
      throw StoreCorrupt(std::string("the PostgreSQL schema is missing a table (run `folio "
                                     "migrate up`): ") +
                         e.what());
    } catch (const pqxx::sql_error& e) {
      // XX001 (data_corrupted): raised by folio_both_or_neither (migration 0007).
      if (e.sqlstate() == "XX001") throw StoreCorrupt(kRowAndStreamDisagree);
      if (is_unavailable(e.sqlstate())) {
        throw StoreUnavailable(std::string("PostgreSQL did not do it: ") + e.what());
      }
      throw StoreError(std::string("PostgreSQL error: ") + e.what());
    }
  }
}

}  // namespace folio::store::postgres
