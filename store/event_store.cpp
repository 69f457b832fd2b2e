#include "store/event_store.h"

#include <chrono>
#include <condition_variable>
#include <stdexcept>

#include "store/database_url.h"
#include "store/migrator.h"
#include "store/postgres/pg_event_store.h"
#include "store/postgres/pg_migration_target.h"
#include "store/sqlite/sqlite_event_store.h"
#include "store/sqlite/sqlite_migration_target.h"
#include "store/statement_pipe.h"

namespace folio::store {

namespace {
constexpr const char* kHeadPosition = "SELECT MAX(global_position) FROM events";
}  // namespace

std::unique_ptr<StatementPipe> EventStore::open_statement_pipe() { return nullptr; }

std::unique_ptr<PipedWrite> EventStore::capture_write(const Work&) { return nullptr; }

void EventStore::read_stream_through(StatementPipe&, const std::string&, std::int64_t, std::int64_t,
                                     StreamDone done) {
  done(nullptr);
}

bool EventStore::run_unit_async(Work, std::function<void(std::exception_ptr)>) { return false; }

void EventStore::TimingCounters::record(std::chrono::steady_clock::time_point started) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  const double seconds = static_cast<double>(micros) / 1e6;
  for (std::size_t i = 0; i < UnitTimings::kBounds.size(); ++i) {
    if (seconds <= UnitTimings::kBounds[i]) at_most[i].fetch_add(1, std::memory_order_relaxed);
  }
  count.fetch_add(1, std::memory_order_relaxed);
  this->micros.fetch_add(static_cast<std::uint64_t>(micros), std::memory_order_relaxed);
}

void EventStore::transact(Access access, const Work& work) {
  struct Record {
    TimingCounters& counters;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    ~Record() { counters.record(started); }  // returned or threw: both took this long
  };
  const bool writes = access != Access::read_statement && access != Access::read_only;
  Record record{timings_[writes ? 1 : 0]};
  run_unit(access, work);
}

bool EventStore::transact_async(Work work, std::function<void(std::exception_ptr)> done) {
  {
    std::lock_guard lock(async_mutex_);
    ++async_unanswered_;
  }
  auto answered = [this] {
    std::lock_guard lock(async_mutex_);
    if (--async_unanswered_ == 0) async_answered_.notify_all();
  };
  const bool taken =
      run_unit_async(std::move(work), [this, answered, started = std::chrono::steady_clock::now(),
                                       done = std::move(done)](std::exception_ptr error) {
        timings_[1].record(started);
        try {
          done(error);
        } catch (...) {
          answered();
          throw;
        }
        answered();
      });
  if (!taken) answered();
  return taken;
}

void EventStore::wait_for_async_writes() {
  {
    std::unique_lock lock(async_mutex_);
    async_answered_.wait(lock, [this] { return async_unanswered_ == 0; });
  }
  wait_for_piped_writes();
}

EventStore::UnitTimings EventStore::unit_timings(bool writes) const {
  const TimingCounters& counters = timings_[writes ? 1 : 0];
  UnitTimings out;
  for (std::size_t i = 0; i < out.at_most.size(); ++i) out.at_most[i] = counters.at_most[i].load();
  out.count = counters.count.load();
  out.seconds = static_cast<double>(counters.micros.load()) / 1e6;
  return out;
}

std::int64_t head_position(Transaction& tx) {
  const auto rows = tx.query(kHeadPosition, {});
  if (rows.empty() || std::holds_alternative<std::monostate>(rows[0][0])) return 0;
  return std::get<std::int64_t>(rows[0][0]);
}

AppendResult EventStore::append(const std::string& stream_id, ExpectedVersion expected,
                                std::span<const NewEvent> events, const EventMetadata& metadata) {
  AppendResult result;
  transact(Access::read_write, [&](Transaction& tx) {
    result = tx.append(stream_id, expected, events, metadata);
    return result.status == AppendResult::Status::appended ? Verdict::commit : Verdict::rollback;
  });
  return result;
}

std::int64_t EventStore::stream_version(const std::string& stream_id) {
  std::int64_t version = 0;
  transact(Access::read_statement, [&](Transaction& tx) {  // one statement: no BEGIN/COMMIT
    version = tx.stream_version(stream_id);
    return Verdict::commit;
  });
  return version;
}

std::vector<RecordedEvent> EventStore::read_stream(const std::string& stream_id,
                                                   std::int64_t from_version,
                                                   std::int64_t to_version) {
  std::vector<RecordedEvent> result;
  transact(Access::read_only, [&](Transaction& tx) {
    result = tx.read_stream(stream_id, from_version, to_version);
    return Verdict::commit;
  });
  return result;
}

std::vector<RecordedEvent> EventStore::read_all(std::int64_t after_position, std::size_t limit) {
  std::vector<RecordedEvent> result;
  transact(Access::read_only, [&](Transaction& tx) {
    result = tx.read_all(after_position, limit);
    return Verdict::commit;
  });
  return result;
}

std::unique_ptr<EventStore> open_event_store(const std::string& url, const StoreOptions& options) {
  const DatabaseUrl parsed = parse_database_url(url);
  if (parsed.kind == DatabaseUrl::Kind::postgresql) {
    return std::make_unique<postgres::PgEventStore>(parsed.target, options);
  }
  return std::make_unique<sqlite::SqliteEventStore>(parsed.target, options);
}

std::unique_ptr<MigrationTarget> open_migration_target(const std::string& url) {
  const DatabaseUrl parsed = parse_database_url(url);
  if (parsed.kind == DatabaseUrl::Kind::postgresql) {
    return std::make_unique<postgres::PgMigrationTarget>(parsed.target);
  }
  return std::make_unique<sqlite::SqliteMigrationTarget>(parsed.target);
}

void EventStore::add_commit_listener(std::function<void()> listener) {
  std::lock_guard lock(listeners_mutex_);
  commit_listeners_.push_back(std::move(listener));
}

void EventStore::notify_committed() {
  std::lock_guard lock(listeners_mutex_);
  for (const auto& listener : commit_listeners_) listener();
}

}  // namespace folio::store
