// Makes the SQLite writer's commits durable on a thread of its own, so that the writer
// commits its next batch while the last one's fsync runs.
//
// The writer connection commits with synchronous = NORMAL: its COMMIT writes the WAL frames
// but does not wait for them to reach the disk. Nothing built on such a commit may leave
// the process before they have, or a power loss could undo what a client was told: so the
// writer hands each batch's answers here (after_durable), and this thread releases them
// only after an fdatasync of the WAL that began after their COMMIT ended. One fdatasync
// covers every frame written before it, so batches pipeline: the fsync of one overlaps the
// statements of the next. Reads hold their answers the same way (wait_until_durable), so a
// reader never shows a write that a power loss could still take back; a process crash
// (kill -9) loses nothing either way: the frames are in the operating system's cache.
//
// Another process writing the same file is not covered: its readers may show this one's
// commits during their fsync (well under a millisecond), and ours theirs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace folio::store::sqlite {

class CommitSyncer {
 public:
  // Runs with the error that stopped the commits from being made durable, or nullptr.
  using Release = std::function<void(std::exception_ptr sync_error)>;

  // `sync` makes every commit ended before the call durable (WalFile::sync), or throws
  // StoreError. `on_durable` runs on this object's thread after each `sync` that covered
  // new commits.
  CommitSyncer(std::function<void()> sync, std::function<void()> on_durable);
  // Releases everything handed over first.
  ~CommitSyncer();
  CommitSyncer(const CommitSyncer&) = delete;
  CommitSyncer& operator=(const CommitSyncer&) = delete;

  // The writer's thread, around every COMMIT (whether it succeeds or not): the first just
  // before it, the second once it returned or threw.
  void commit_beginning() { commits_begun_.fetch_add(1); }
  void commit_ended() { commits_ended_.fetch_add(1); }

  // The writer's thread: runs `release` on this object's thread once every commit ended so
  // far is durable, or syncing failed. Releases run in the order they were handed over.
  void after_durable(Release release);

  // Any thread: returns once every commit begun before the call is durable (at once when
  // none is waiting for its fsync). Throws StoreUnavailable if syncing failed. On this
  // object's own thread (a release that reads) it returns at once: it cannot wait for
  // itself.
  void wait_until_durable();

  // True once an fsync of the WAL failed: what was committed since may not be on the disk,
  // and Linux may have dropped the unwritten pages, so no later fsync can vouch for it. The
  // store refuses further writes (PostgreSQL stops altogether in this case).
  bool failed() const { return failed_.load(); }

 private:
  void run();

  const std::function<void()> sync_;
  const std::function<void()> on_durable_;

  std::atomic<std::uint64_t> commits_begun_{0};
  std::atomic<std::uint64_t> commits_ended_{0};
  std::atomic<std::uint64_t> commits_durable_{0};
  std::atomic<bool> failed_{false};  // set under mutex_, for the waiting readers

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable durable_;
  std::vector<Release> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace folio::store::sqlite
