#include "store/sqlite/sqlite_event_store.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "events/thread_name.h"
#include "store/sqlite/commit_syncer.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/sqlite/wal_checkpointer.h"
#include "store/sqlite/wal_file.h"

namespace folio::store::sqlite {

namespace {
// Units waiting for the writer beyond this make callers wait: memory stays bounded.
constexpr std::size_t kMaxQueuedWork = 4096;

// Ends whatever transaction is open after a failure; a second failure changes nothing for
// the callers, who already carry the first error.
void rollback_quietly(SqliteConnection& db) noexcept {
  try {
    if (!db.in_autocommit()) db.exec_script("ROLLBACK");
  } catch (...) {
  }
}
}  // namespace

// Signalled once, by the writer thread, for a caller that sleeps until then. A mutex and a
// condition variable rather than std::binary_semaphore: libstdc++'s semaphore spins with
// sched_yield before it sleeps, and with every connection thread waiting for the one writer
// those yields were 13 % of the server's CPU in a profile of SQLite updates.
class Completion {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    signalled_.wait(lock, [&] { return done_; });
  }
  // Notifies under the lock: the waiter (and this object, on its stack) cannot go away
  // before notify_one returns.
  void signal() {
    std::lock_guard lock(mutex_);
    done_ = true;
    signalled_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable signalled_;
  bool done_ = false;
};

// One caller's unit of work, living on the caller's stack until `done` is signalled; or,
// from transact_async, owned by the queue and then the writer until `on_done` has run.
struct SqliteEventStore::PendingWork {
  const Work* work;
  std::exception_ptr error;
  Completion done;
  Work owned_work;
  std::function<void(std::exception_ptr)> on_done;
  // When it joined the queue: the start of its StoreOptions::lock_wait.
  std::chrono::steady_clock::time_point queued_at;
};

SqliteEventStore::SqliteEventStore(std::string path, const StoreOptions& options)
    : path_(std::move(path)), options_(options) {
  // Its commits write their WAL frames in one system call each (gathered_wal_vfs.h).
  writer_connection_ = std::make_unique<SqliteConnection>(path_, /*gather_wal_writes=*/true);
  // Fail now, not on the first command, if the schema is missing.
  writer_connection_->prepare("SELECT version FROM streams WHERE stream_id = ?1");
  // The COMMIT writes the WAL without waiting for the disk; the syncer waits instead.
  writer_connection_->exec_script("PRAGMA synchronous = NORMAL");
  checkpointer_ = std::make_unique<WalCheckpointer>(path_);
  writer_connection_->on_wal_commit([this](int frames) { checkpointer_->wal_grew(frames); });
  syncer_ = std::make_unique<CommitSyncer>(
      [wal = std::make_shared<WalFile>(path_)] { wal->sync(); }, [this] { notify_committed(); });
  writer_ = std::thread([this] { writer_loop(); });
}

SqliteEventStore::~SqliteEventStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_all();
  writer_.join();
  syncer_.reset();  // answers the writer's last batches
  checkpointer_.reset();
}

void SqliteEventStore::run_unit(Access access, const Work& work) {
  if (access == Access::read_only || access == Access::read_statement) {
    // What it read (or its error, such as "not found") may rest on a commit whose fsync is
    // still running.
    try {
      run_read(access, work);
    } catch (...) {
      syncer_->wait_until_durable();
      throw;
    }
    syncer_->wait_until_durable();
    return;
  }

  PendingWork pending{&work, nullptr, {}, {}, {}, {}};
  {
    std::unique_lock lock(queue_mutex_);
    queue_space_.wait(lock, [&] { return queue_.size() < kMaxQueuedWork || stopping_; });
    if (stopping_) throw StoreUnavailable("SQLite event store is shutting down");
    pending.queued_at = std::chrono::steady_clock::now();
    queue_.push_back(&pending);
  }
  queue_ready_.notify_one();
  pending.done.wait();
  if (pending.error) std::rethrow_exception(pending.error);
}

void SqliteEventStore::run_read(Access access, const Work& work) {
  auto connection = acquire_reader();
  struct Release {
    SqliteEventStore* store;
    std::unique_ptr<SqliteConnection>& connection;
    ~Release() { store->release_reader(std::move(connection)); }
  } release{this, connection};
  if (access == Access::read_statement) {
    // Each statement is its own (autocommit) read transaction, as on PostgreSQL.
    SqliteTransaction tx(*connection);
    work(tx);
    return;
  }
  connection->run("BEGIN");
  try {
    SqliteTransaction tx(*connection);
    work(tx);
  } catch (...) {
    rollback_quietly(*connection);
    throw;
  }
  connection->run("COMMIT");  // read-only: commit and rollback are the same
}

bool SqliteEventStore::run_unit_async(Work work, std::function<void(std::exception_ptr)> done) {
  auto pending = std::make_unique<PendingWork>();
  pending->owned_work = std::move(work);
  pending->work = &pending->owned_work;
  pending->on_done = std::move(done);
  {
    std::lock_guard lock(queue_mutex_);
    // A caller that must not wait is not made to wait for space: it runs the usual way.
    if (stopping_ || queue_.size() >= kMaxQueuedWork) return false;
    pending->queued_at = std::chrono::steady_clock::now();
    queue_.push_back(pending.release());
  }
  queue_ready_.notify_one();
  return true;
}

void SqliteEventStore::writer_loop() {
  name_this_thread("sqlite-writer");
  std::vector<PendingWork*> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    queue_space_.notify_all();
    run_batch(batch);
    syncer_->after_durable([this, done = std::move(batch)](std::exception_ptr sync_error) {
      answer(done, sync_error);
    });
    batch.clear();  // moved from: make it empty for certain
    if (checkpointer_->finish_due()) checkpointer_->finish_on(*writer_connection_);
  }
}

void SqliteEventStore::answer(const std::vector<PendingWork*>& batch,
                              const std::exception_ptr& sync_error) {
  for (PendingWork* p : batch) {
    if (sync_error && !p->error) p->error = sync_error;
    if (p->on_done) {
      const std::unique_ptr<PendingWork> owned(p);
      try {
        owned->on_done(owned->error);
      } catch (...) {  // the syncer must go on; on_done's own contract is not to throw
      }
    } else {
      p->done.signal();
    }
  }
}

void SqliteEventStore::run_batch(std::vector<PendingWork*>& batch) {
  SqliteConnection& db = *writer_connection_;
  auto fail_all = [&](std::exception_ptr error) {
    for (PendingWork* p : batch) {
      if (!p->error) p->error = error;
    }
  };
  if (syncer_->failed()) {
    fail_all(std::make_exception_ptr(StoreUnavailable(
        "SQLite event store: an earlier commit could not be synced to disk; restart the server")));
    return;
  }
  if (!begin_batch(batch)) return;
  SqliteTransaction tx(db);
  for (PendingWork* p : batch) {
    if (p->error) continue;  // its lock wait ran out before the batch could begin
    db.run("SAVEPOINT unit_of_work");
    Verdict verdict = Verdict::rollback;
    try {
      verdict = (*p->work)(tx);
    } catch (...) {
      p->error = std::current_exception();
    }
    if (db.in_autocommit()) {
      // SQLite rolled the whole transaction back by itself (I/O error, disk full): the
      // units before this one are lost too, so none of the batch may report success.
      fail_all(std::make_exception_ptr(
          StoreUnavailable("SQLite rolled back a batch of commands after an error")));
      return;
    }
    try {
      if (verdict == Verdict::rollback || p->error) db.run("ROLLBACK TO unit_of_work");
      db.run("RELEASE unit_of_work");
    } catch (...) {
      fail_all(std::current_exception());
      rollback_quietly(db);
      return;
    }
  }
  syncer_->commit_beginning();
  try {
    db.run("COMMIT");
  } catch (...) {
    fail_all(std::current_exception());
    rollback_quietly(db);
  }
  syncer_->commit_ended();
}

bool SqliteEventStore::begin_batch(const std::vector<PendingWork*>& batch) {
  using Clock = std::chrono::steady_clock;
  SqliteConnection& db = *writer_connection_;
  // Another process may hold the write lock. Each unit waits for it lock_wait in all,
  // counted from when it was queued (a batch ahead of it may have waited already). The
  // queue is in order, so the oldest unit still waiting is the first one left: BEGIN waits
  // what is left of its time; when that runs out, it fails with every unit whose time is
  // up, and the others try again with theirs.
  auto oldest = batch.begin();
  for (;;) {
    db.set_busy_timeout(std::chrono::ceil<std::chrono::milliseconds>(
        options_.lock_wait - (Clock::now() - (*oldest)->queued_at)));
    try {
      db.run("BEGIN IMMEDIATE");
      return true;
    } catch (const StoreBusy&) {
      const auto now = Clock::now();
      do {
        (*oldest)->error = std::current_exception();
        ++oldest;
      } while (oldest != batch.end() && now - (*oldest)->queued_at >= options_.lock_wait);
      if (oldest == batch.end()) return false;
    } catch (...) {
      for (; oldest != batch.end(); ++oldest) (*oldest)->error = std::current_exception();
      return false;
    }
  }
}

std::unique_ptr<SqliteConnection> SqliteEventStore::acquire_reader() {
  std::unique_lock lock(readers_mutex_);
  for (;;) {
    if (!idle_readers_.empty()) {
      auto connection = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return connection;
    }
    if (open_readers_ < options_.connections) {
      ++open_readers_;
      lock.unlock();
      try {
        return std::make_unique<SqliteConnection>(path_);
      } catch (...) {
        lock.lock();
        --open_readers_;
        throw;
      }
    }
    reader_free_.wait(lock);
  }
}

void SqliteEventStore::release_reader(std::unique_ptr<SqliteConnection> connection) {
  {
    std::lock_guard lock(readers_mutex_);
    if (connection) {
      idle_readers_.push_back(std::move(connection));
    } else {
      --open_readers_;
    }
  }
  reader_free_.notify_one();
}

void SqliteEventStore::purge_freed_space(const std::vector<std::string>& /*tables*/) {
  // secure_delete zeroed what the unit freed; the WAL may still hold earlier page images.
  // TRUNCATE waits (busy handler) for writers and for readers of older snapshots, copies
  // every frame back and empties the file. A reader that stays on an old snapshot keeps it
  // from finishing: try again until StoreOptions::purge_wait has passed.
  static constexpr const char* kCheckpoint = "PRAGMA wal_checkpoint(TRUNCATE)";
  SqliteConnection connection(path_);
  // Short busy waits, so that the deadline below bounds the whole (the connection's own
  // timeout is 10 s per attempt).
  connection.exec_script("PRAGMA busy_timeout = 100");
  const auto deadline = std::chrono::steady_clock::now() + options_.purge_wait;
  for (;;) {
    {
      Statement checkpoint = connection.prepare(kCheckpoint);
      if (checkpoint.step() && checkpoint.int64(0) == 0) return;  // 1: blocked
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw PurgeIncomplete("a reader of a snapshot older than the erasure was still open after " +
                            std::to_string(options_.purge_wait.count()) +
                            " ms: the WAL, which may hold the old values, could not be emptied;"
                            " the erasure itself is committed: run it again once it has ended");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace folio::store::sqlite
