#include "projections/catch_up.h"

#include <algorithm>
#include <stdexcept>

#include "events/timestamp.h"

namespace folio::projections {

namespace {

using store::SqlValue;
using store::Transaction;
using store::Verdict;

constexpr const char* kSelectCheckpoint =
    "SELECT position, config FROM projection_jobs WHERE name = $1";
constexpr const char* kCreateCheckpoint =
    "INSERT INTO projection_jobs (name, position, config, updated_at) VALUES ($1, 0, '', $2)"
    " ON CONFLICT (name) DO NOTHING";
constexpr const char* kResetCheckpoint =
    "INSERT INTO projection_jobs (name, position, config, updated_at) VALUES ($1, 0, $2, $3)"
    " ON CONFLICT (name) DO UPDATE SET position = 0, config = excluded.config,"
    " updated_at = excluded.updated_at";
constexpr const char* kDeleteCheckpoint = "DELETE FROM projection_jobs WHERE name = $1";
// Guarded by the position the batch was read after: 0 rows when another runner moved it.
constexpr const char* kAdvanceCheckpoint =
    "UPDATE projection_jobs SET position = $2, updated_at = $3 WHERE name = $1 AND position = $4";

}  // namespace

std::optional<Checkpoint> read_checkpoint(Transaction& tx, const std::string& job) {
  const SqlValue param{job};
  const auto rows = tx.query(kSelectCheckpoint, std::span(&param, 1));
  if (rows.empty()) return std::nullopt;
  return Checkpoint{std::get<std::int64_t>(rows[0][0]), std::get<std::string>(rows[0][1])};
}

void reset_checkpoint(Transaction& tx, const std::string& job, const std::string& config) {
  const std::vector<SqlValue> params{job, config, events::now_timestamp()};
  tx.execute(kResetCheckpoint, params);
}

void delete_checkpoint(Transaction& tx, const std::string& job) {
  const SqlValue param{job};
  tx.execute(kDeleteCheckpoint, std::span(&param, 1));
}

CatchUpRunner::CatchUpRunner(store::EventStore& store, std::string job, CatchUpView& view,
                             std::size_t batch_size)
    : store_(store), job_(std::move(job)), view_(view), batch_size_(batch_size) {
  if (batch_size_ == 0) throw std::invalid_argument("batch size must be at least 1");
}

bool CatchUpRunner::apply_batch(Transaction& tx, std::int64_t from,
                                std::span<const events::RecordedEvent> batch) {
  const std::vector<SqlValue> params{job_, batch.back().global_position, events::now_timestamp(),
                                     from};
  if (tx.execute(kAdvanceCheckpoint, params) != 1) return false;
  view_.apply(tx, batch);
  return true;
}

std::size_t CatchUpRunner::step() {
  std::int64_t from = 0;
  bool has_row = false;
  std::vector<events::RecordedEvent> batch;
  store_.transact(store::Access::read_only, [&](Transaction& tx) {
    const auto checkpoint = read_checkpoint(tx, job_);
    has_row = checkpoint.has_value();
    from = checkpoint ? checkpoint->position : 0;
    last_head_ = store::head_position(tx);
    // Only take read_all's wait for appends in flight when there is something to read.
    batch =
        last_head_ > from ? tx.read_all(from, batch_size_) : std::vector<events::RecordedEvent>{};
    return Verdict::commit;
  });
  if (has_row && batch.empty()) {
    checkpoint_ = from;  // caught up
    return 0;
  }
  bool applied = false;
  store_.transact(store::Access::read_write, [&](Transaction& tx) {
    if (!has_row) {
      const std::vector<SqlValue> params{job_, events::now_timestamp()};
      tx.execute(kCreateCheckpoint, params);
    }
    applied = !batch.empty() && apply_batch(tx, from, batch);
    return !has_row || applied ? Verdict::commit : Verdict::rollback;
  });
  if (!applied) {
    checkpoint_.reset();  // created just now, or moved by another runner: read it again
    return 0;
  }
  checkpoint_ = batch.back().global_position;
  return batch.size();
}

std::int64_t CatchUpRunner::current_head() {
  std::int64_t head = 0;
  store_.transact(store::Access::read_only, [&](Transaction& tx) {
    head = store::head_position(tx);
    return Verdict::commit;
  });
  return head;
}

std::int64_t CatchUpRunner::run(const Progress& progress) {
  const std::int64_t target = current_head();
  std::int64_t applied = 0;
  for (;;) {
    const std::int64_t at = checkpoint();
    if (progress) progress(at, std::max(target, at));
    if (at >= target) return applied;
    applied += static_cast<std::int64_t>(step());
  }
}

std::int64_t CatchUpRunner::finish_in(Transaction& tx) {
  std::int64_t applied = 0;
  for (;;) {
    const auto checkpoint = read_checkpoint(tx, job_);
    if (!checkpoint) throw std::runtime_error("projection job '" + job_ + "' has no checkpoint");
    const auto batch = tx.read_all(checkpoint->position, batch_size_);
    if (batch.empty()) {
      checkpoint_ = checkpoint->position;
      return applied;
    }
    if (!apply_batch(tx, checkpoint->position, batch)) {
      throw std::runtime_error("projection job '" + job_ + "' is being run by another process");
    }
    applied += static_cast<std::int64_t>(batch.size());
  }
}

std::int64_t CatchUpRunner::checkpoint() {
  if (!checkpoint_) {
    std::int64_t position = 0;
    store_.transact(store::Access::read_only, [&](Transaction& tx) {
      const auto row = read_checkpoint(tx, job_);
      position = row ? row->position : 0;
      return Verdict::commit;
    });
    checkpoint_ = position;
  }
  return *checkpoint_;
}

}  // namespace folio::projections
