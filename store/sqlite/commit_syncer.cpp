#include "store/sqlite/commit_syncer.h"

#include "events/thread_name.h"
#include "store/store_error.h"

namespace folio::store::sqlite {

CommitSyncer::CommitSyncer(std::function<void()> sync, std::function<void()> on_durable)
    : sync_(std::move(sync)), on_durable_(std::move(on_durable)) {
  thread_ = std::thread([this] { run(); });
}

CommitSyncer::~CommitSyncer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  thread_.join();
}

void CommitSyncer::after_durable(Release release) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(release));
  }
  work_ready_.notify_one();
}

void CommitSyncer::wait_until_durable() {
  const std::uint64_t begun = commits_begun_.load();
  if (commits_durable_.load() >= begun && !failed_.load()) return;
  // A release that reads cannot wait for the thread that runs it (the next sync).
  if (std::this_thread::get_id() == thread_.get_id()) return;
  std::unique_lock lock(mutex_);
  durable_.wait(lock, [&] { return commits_durable_.load() >= begun || failed_.load(); });
  if (commits_durable_.load() < begun) {
    throw StoreUnavailable("the SQLite write-ahead log could not be synced to disk");
  }
}

void CommitSyncer::run() {
  name_this_thread("sqlite-syncer");
  std::vector<Release> releases;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return !pending_.empty() || stopping_; });
      if (pending_.empty()) return;  // stopping, and nothing left to release
      releases.swap(pending_);
    }
    // Every commit of these batches ended before they were handed over.
    const std::uint64_t ended = commits_ended_.load();
    std::exception_ptr error;
    bool synced = false;
    if (!failed_.load() && ended > commits_durable_.load()) {
      try {
        sync_();
        synced = true;
      } catch (const StoreError&) {
      }
      {
        std::lock_guard lock(mutex_);
        if (synced) {
          commits_durable_.store(ended);
        } else {
          failed_.store(true);
        }
      }
      durable_.notify_all();
    }
    if (failed_.load()) {
      error = std::make_exception_ptr(StoreOutcomeUnknown(
          "the SQLite write-ahead log could not be synced to disk after a commit: the write "
          "may be lost; the store refuses further writes until the server restarts"));
    }
    if (synced && on_durable_) on_durable_();
    for (Release& release : releases) release(error);
    releases.clear();
  }
}

}  // namespace folio::store::sqlite
