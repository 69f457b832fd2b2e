// The embedded SQLite event store.
//
// SQLite allows one writer at a time, so read-write units of work from all threads go to
// one writer thread that commits them in batches: BEGIN IMMEDIATE, then each unit inside
// its own SAVEPOINT (a unit that rolls back or throws undoes only itself), then one COMMIT
// for the whole batch, and the callers are released once that COMMIT is on the disk
// (commit_syncer.h: the fsync runs beside the writer's next batch). Throughput is therefore
// not one fsync per command. Read-only units run on a small pool of reader connections,
// which WAL lets proceed beside the writer, and answer once what they read is on the disk.
// The WAL is checkpointed beside the writer too (wal_checkpointer.h).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/event_store.h"

namespace folio::store::sqlite {

class SqliteConnection;
class CommitSyncer;
class WalCheckpointer;

class SqliteEventStore final : public EventStore {
 public:
  // Opens `path` (which must be migrated). Throws StoreUnavailable.
  SqliteEventStore(std::string path, const StoreOptions& options);
  ~SqliteEventStore() override;

  std::string dialect() const override { return "sqlite"; }
  void purge_freed_space(const std::vector<std::string>& tables) override;

 protected:
  void run_unit(Access access, const Work& work) override;
  bool run_unit_async(Work work, std::function<void(std::exception_ptr)> done) override;

 private:
  struct PendingWork;

  void writer_loop();
  void run_batch(std::vector<PendingWork*>& batch);
  // BEGIN IMMEDIATE for `batch`; false when every unit's lock wait ran out (each has its
  // error). Units whose wait ran out before it began have their error set.
  bool begin_batch(const std::vector<PendingWork*>& batch);
  // Hands each unit of `batch` its outcome; `sync_error` fails those that had none.
  void answer(const std::vector<PendingWork*>& batch, const std::exception_ptr& sync_error);
  void run_read(Access access, const Work& work);
  std::unique_ptr<SqliteConnection> acquire_reader();
  void release_reader(std::unique_ptr<SqliteConnection> connection);

  const std::string path_;
  const StoreOptions options_;

  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::condition_variable queue_space_;
  std::deque<PendingWork*> queue_;
  bool stopping_ = false;
  std::unique_ptr<SqliteConnection> writer_connection_;
  std::unique_ptr<WalCheckpointer> checkpointer_;
  std::unique_ptr<CommitSyncer> syncer_;
  std::thread writer_;

  std::mutex readers_mutex_;
  std::condition_variable reader_free_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;
  int open_readers_ = 0;
};

}  // namespace folio::store::sqlite
