// The PostgreSQL event store: a pool of connections, one unit of work per transaction.
// Several `folio` processes may share one database; appends to one stream serialize on
// its streams row; global positions come from a sequence (see pg_transaction.cpp).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <pqxx/transaction_base>
#include <vector>

#include "store/event_store.h"
#include "store/postgres/pg_group_commit.h"
#include "store/postgres/pg_statement_pipe.h"

namespace folio::store::postgres {

class PgEventStore final : public EventStore {
 public:
  // Opens one connection now (to fail early) and up to options.connections on demand.
  // Throws StoreUnavailable.
  PgEventStore(std::string url, const StoreOptions& options);
  ~PgEventStore() override;

  std::string dialect() const override { return "postgresql"; }
  void purge_freed_space(const std::vector<std::string>& tables) override;
  std::unique_ptr<StatementPipe> open_statement_pipe() override;
  std::unique_ptr<PipedWrite> capture_write(const Work& work) override;
  void read_stream_through(StatementPipe& pipe, const std::string& stream_id, std::int64_t from,
                           std::int64_t to, StreamDone done) override;
  std::vector<StoreStatistic> statistics() const override;

 protected:
  void run_unit(Access access, const Work& work) override;
  void wait_for_piped_writes() override;

 private:
  std::unique_ptr<pqxx::connection> acquire();
  void release(std::unique_ptr<pqxx::connection> connection);
  // Gives `connection` (if it still holds one) back to the pool at the end of its scope,
  // by return or by exception.
  struct ReleaseOnExit {
    PgEventStore* store;
    std::unique_ptr<pqxx::connection>& connection;
    ~ReleaseOnExit() {
      if (connection) store->release(std::move(connection));
    }
  };
  std::unique_ptr<pqxx::connection> connect() const;
  void run_lazily(pqxx::transaction_base& tx, class PgTransaction& folio_tx, const Work& work);

  const std::string url_;
  const StoreOptions options_;
  std::unique_ptr<PgGroupCommit> group_;     // null: options.group_commits == 0
  PipeCounters pipe_counters_;               // of the pipes it opened
  std::atomic<std::int64_t> pool_waits_{0};  // acquire() found no connection to take
  std::atomic<std::int64_t> pool_wait_micros_{0};
  std::mutex mutex_;
  std::condition_variable connection_free_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;
};

}  // namespace folio::store::postgres
