// The catch-up runner: follows the global event log from a checkpoint and applies it, batch
// by batch, to a view (rebuild jobs, asynchronous views such as resource utilisation).
//
// Each batch is read with Transaction::read_all (which never skips an event that commits
// later with a smaller position), then applied in ONE unit of work together with the
// advance of the job's checkpoint in `projection_jobs` (migration 0005). The advance is
// guarded by the position the batch was read after, so a crash never applies a batch twice
// or skips one, and two runners of one job (several servers on one PostgreSQL) never both
// apply the same batch: the second one's unit of work finds the checkpoint moved and rolls
// back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "events/envelope.h"
#include "store/event_store.h"

namespace folio::projections {

// A projection driven by the runner.
class CatchUpView {
 public:
  virtual ~CatchUpView() = default;
  // Applies `events` (every event of the log after the checkpoint, up to some position, in
  // position order) inside `tx`. Throws to abort the batch (nothing of it is kept).
  virtual void apply(store::Transaction& tx, std::span<const events::RecordedEvent> events) = 0;
};

struct Checkpoint {
  std::int64_t position = 0;
  std::string config;
};

// The checkpoint row of `job`, if the job has one.
std::optional<Checkpoint> read_checkpoint(store::Transaction& tx, const std::string& job);
// Creates (position 0) or replaces the checkpoint row of `job`.
void reset_checkpoint(store::Transaction& tx, const std::string& job, const std::string& config);
void delete_checkpoint(store::Transaction& tx, const std::string& job);

class CatchUpRunner {
 public:
  // Positions: the checkpoint and the position being caught up to.
  using Progress = std::function<void(std::int64_t checkpoint, std::int64_t target)>;

  // `job` names the checkpoint row, which the runner creates (position 0) when missing.
  CatchUpRunner(store::EventStore& store, std::string job, CatchUpView& view,
                std::size_t batch_size);

  // Applies the next batch (at most batch_size events after the checkpoint) with the
  // checkpoint's advance in one unit of work. Returns the number of events applied: 0
  // when caught up (or when another runner of the job advanced the checkpoint first).
  // Throws what the store or the view throw (the batch is then not applied).
  std::size_t step();

  // The store it reads and writes.
  store::EventStore& store() const { return store_; }

  // Steps until the checkpoint reaches the head as it is when called (events appended
  // meanwhile are left for the next call: a busy log cannot keep it running forever).
  // Calls progress before every batch. Returns the events applied.
  std::int64_t run(const Progress& progress = {});

  // The head position now.
  std::int64_t current_head();

  // Inside `tx` (a read-write unit of work that has not appended): applies every event
  // after the checkpoint and advances it. For the last step of a rebuild, whose `tx` also
  // swaps the tables. Returns the events applied.
  std::int64_t finish_in(store::Transaction& tx);

  // The checkpoint as of the last step (read from the store on first use).
  std::int64_t checkpoint();
  // The head position the last step saw (0 before the first).
  std::int64_t last_head() const { return last_head_; }
  const std::string& job() const { return job_; }
  std::size_t batch_size() const { return batch_size_; }

 private:
  // Applies `batch` (read after `from`) in `tx`, guarded by the checkpoint still being
  // `from`. False when it moved.
  bool apply_batch(store::Transaction& tx, std::int64_t from,
                   std::span<const events::RecordedEvent> batch);

  store::EventStore& store_;
  const std::string job_;
  CatchUpView& view_;
  const std::size_t batch_size_;
  std::optional<std::int64_t> checkpoint_;
  std::int64_t last_head_ = 0;
};

}  // namespace folio::projections
