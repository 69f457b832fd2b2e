// Checkpoints SQLite's WAL on a thread and connection of its own.
//
// SQLite's automatic checkpoint runs inside the COMMIT that crossed its threshold, on the
// one writer, and syncs the WAL and the database file: every command of that batch, and of
// the batches queued behind it, waits for it. Here the writer's commits only report the
// WAL's size (SqliteConnection::on_wal_commit), and past the same threshold this thread runs
// a PASSIVE checkpoint, which copies what no reader needs any more back into the database
// beside the writer and never waits for locks.
//
// SQLite starts the WAL over (instead of growing it) only at a write that finds every frame
// copied, which a checkpoint running beside a busy writer never achieves: the writer appends
// frames while it copies. So once this thread has copied the bulk, the writer finishes the
// job between two batches (finish_due, then finish_on): the few frames written meanwhile
// and two fsyncs, about a millisecond per thousand frames instead of the whole copy.
//
// A PASSIVE checkpoint that could not copy every frame (the writer appended meanwhile) leaves
// the pages it wrote unsynced in the database file: SQLite syncs the file only after a
// complete copy. The writer's finish then synced them all, a few milliseconds (4.7 median at
// 1,000 frames) in which no command was written. This thread syncs them itself after each
// of its checkpoints, so the finish has little left to write, and with that the threshold
// can be higher: fewer finishes, and pages written again before a checkpoint copied once
// (docs/benchmarks.md, 2026-12-07g).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace folio::store::sqlite {

class SqliteConnection;

class WalCheckpointer {
 public:
  // In frames (pages): four times SQLite's own default (wal_autocheckpoint), a 16 MB WAL
  // with 4 KB pages.
  static constexpr int kCheckpointFrames = 4000;

  explicit WalCheckpointer(const std::string& database_path);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Any thread, quick: the WAL now holds `frames` frames.
  void wal_grew(int frames);

  // The writer's thread, between batches: true when a checkpoint here copied most of the
  // WAL and `writer` should now copy the rest (finish_on), which lets its next write start
  // the WAL over.
  bool finish_due() const { return finish_due_.load(std::memory_order_relaxed); }
  void finish_on(SqliteConnection& writer);

 private:
  void run();

  std::unique_ptr<SqliteConnection> connection_;
  const int database_fd_;  // the database file, read-only: for fdatasync
  std::mutex mutex_;
  std::condition_variable requested_;
  bool checkpoint_due_ = false;
  // wal_grew asks for a checkpoint once the WAL holds this many frames: the threshold, or
  // another threshold's worth beyond the size at which it last asked.
  int next_request_at_ = kCheckpointFrames;
  bool stopping_ = false;
  std::atomic<bool> finish_due_{false};
  std::thread thread_;
};

}  // namespace folio::store::sqlite
