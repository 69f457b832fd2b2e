#include "store/sqlite/wal_checkpointer.h"

#include <fcntl.h>
#include <unistd.h>

#include "events/thread_name.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/store_error.h"

namespace folio::store::sqlite {

namespace {
// A row (blocked, frames in the WAL, frames copied); blocked means another checkpoint (an
// erasure's purge, another process, this one's other half) holds the lock.
constexpr const char* kCheckpoint = "PRAGMA wal_checkpoint(PASSIVE)";

// True when the checkpoint ran (whether or not it copied everything).
bool checkpoint(SqliteConnection& connection) {
  try {
    Statement statement = connection.prepare(kCheckpoint);
    return statement.step() && statement.int64(0) == 0;
  } catch (const StoreError&) {
    // An I/O error here leaves the WAL to grow; the writer's own commits report theirs.
    return false;
  }
}
}  // namespace

WalCheckpointer::WalCheckpointer(const std::string& database_path)
    : connection_(std::make_unique<SqliteConnection>(database_path)),
      database_fd_(::open(database_path.c_str(), O_RDONLY | O_CLOEXEC)) {
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  requested_.notify_one();
  thread_.join();
  if (database_fd_ >= 0) ::close(database_fd_);
}

void WalCheckpointer::wal_grew(int frames) {
  {
    std::lock_guard lock(mutex_);
    if (frames < kCheckpointFrames) {
      next_request_at_ = kCheckpointFrames;  // the WAL started over
      return;
    }
    // Asked at this size already: until the writer's finish lets the WAL start over, every
    // commit reports it past the threshold. Asking again at each (which was up to five
    // checkpoints and ten fsyncs per thousand frames) copies nothing more worth an fsync.
    if (frames < next_request_at_) return;
    next_request_at_ = frames + kCheckpointFrames;
    if (checkpoint_due_) return;
    checkpoint_due_ = true;
  }
  requested_.notify_one();
}

void WalCheckpointer::run() {
  name_this_thread("sqlite-checkpt");
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      requested_.wait(lock, [&] { return checkpoint_due_ || stopping_; });
      if (stopping_) return;
      checkpoint_due_ = false;
    }
    // Not run (blocked or failed): the WAL's next threshold asks again.
    if (!checkpoint(*connection_)) continue;
    // What it copied, on the disk before the writer's finish syncs the file. Only an
    // optimisation: if this fails (or the file could not be opened), the finish, which
    // must succeed before the WAL starts over, syncs it all as before.
    if (database_fd_ >= 0) ::fdatasync(database_fd_);
    finish_due_.store(true, std::memory_order_relaxed);
  }
}

void WalCheckpointer::finish_on(SqliteConnection& writer) {
  finish_due_.store(false, std::memory_order_relaxed);
  checkpoint(writer);
}

}  // namespace folio::store::sqlite
