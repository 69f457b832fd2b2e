// The sealer: follows the global log in position order and writes seal rows
// log_seals(position, running_hash, sealed_at), where running_hash chains the hash of every
// hashed event up to `position` (store/event_hash.h). Appends on PostgreSQL take positions
// concurrently, so the running hash cannot be kept inline without serializing all writers;
// the sealer computes it behind them, reading with read_all (which never skips an event).
//
// Seals are checkpoints of a deterministic function of the log, so several sealers (several
// `folio serve` processes on one PostgreSQL) may run at once: the same position always gets
// the same value and a second insert of it changes nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/event_store.h"
#include "store/follower_wait.h"

namespace folio::store {

struct Seal {
  std::int64_t position = 0;
  std::string running_hash;  // 64 hex digits
};

// The seal with the highest position, if any.
std::optional<Seal> last_seal(Transaction& tx);

// Seals the events after the last seal, at most `batch` of them, in two short units of
// work (a read-only one that reads, then one that inserts the seal). Returns the number of
// events the new seal covers: 0 when the log is fully sealed. Throws StoreError.
inline constexpr std::size_t kSealBatch = 1000;
std::int64_t seal_next_batch(EventStore& store, std::size_t batch = kSealBatch);

// Seals until nothing is left; calls `on_sealed(n)` after each batch. Returns the total.
std::int64_t seal_log(EventStore& store, const std::function<void(std::int64_t)>& on_sealed = {},
                      std::size_t batch = kSealBatch);

// Runs seal_log in a background thread soon after this process's writes, and at least every
// `poll_interval` (other servers' writes), until destroyed (or stop()).
// Failures (a lost database, say) are passed to `on_error` (once until the next success or
// a different failure) and retried at the next poll.
class LogSealer {
 public:
  using ErrorHandler = std::function<void(const std::string& message)>;

  LogSealer(EventStore& store, std::chrono::milliseconds poll_interval, ErrorHandler on_error);
  ~LogSealer();
  LogSealer(const LogSealer&) = delete;
  LogSealer& operator=(const LogSealer&) = delete;

  // Stops the thread after its current batch and waits for it. Idempotent.
  void stop();

  // For monitoring: whether the last attempt reached the database, and how far behind the
  // log the seals are (0 when the last pass sealed everything, else seconds since one did).
  struct Health {
    bool up = true;
    double seconds_behind = 0;
  };
  Health health() const;

 private:
  void run();

  EventStore& store_;
  std::chrono::milliseconds poll_interval_;
  ErrorHandler on_error_;
  FollowerWait wait_;
  std::atomic<bool> up_{true};
  std::atomic<bool> caught_up_{true};
  std::atomic<std::chrono::steady_clock::rep> caught_up_at_;  // steady_clock ticks
  std::thread thread_;
};

}  // namespace folio::store
