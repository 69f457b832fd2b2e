#include "store/log_sealer.h"

#include <exception>

#include "events/thread_name.h"
#include "events/timestamp.h"
#include "store/event_hash.h"

namespace folio::store {

namespace {

constexpr const char* kLastSeal =
    "SELECT position, running_hash FROM log_seals ORDER BY position DESC LIMIT 1";
constexpr const char* kHashesInRange =
    "SELECT global_position, event_hash FROM events"
    " WHERE global_position > $1 AND global_position <= $2 ORDER BY global_position";
constexpr const char* kInsertSeal =
    "INSERT INTO log_seals (position, running_hash, sealed_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (position) DO NOTHING";

}  // namespace

std::optional<Seal> last_seal(Transaction& tx) {
  const auto rows = tx.query(kLastSeal, {});
  if (rows.empty()) return std::nullopt;
  return Seal{std::get<std::int64_t>(rows[0][0]), std::get<std::string>(rows[0][1])};
}

std::int64_t seal_next_batch(EventStore& store, std::size_t batch) {
  std::optional<Seal> previous;
  std::int64_t last_position = 0;
  std::int64_t covered = 0;
  std::vector<SqlRow> hashes;
  store.transact(Access::read_only, [&](Transaction& tx) {
    previous = last_seal(tx);
    const std::int64_t after = previous ? previous->position : 0;
    // read_all, not a plain SELECT: on PostgreSQL it waits for appends in flight, so no
    // event can commit later below the positions it returns.
    const auto events = tx.read_all(after, batch);
    if (events.empty()) return Verdict::commit;
    last_position = events.back().global_position;
    covered = static_cast<std::int64_t>(events.size());
    const SqlValue range[] = {after, last_position};
    hashes = tx.query(kHashesInRange, range);
    return Verdict::commit;
  });
  if (covered == 0) return 0;

  std::string running(kHashBytes, '\0');
  if (previous) {
    running = from_hex(previous->running_hash);
    if (running.size() != kHashBytes) {
      throw StoreCorrupt("log seal at position " + std::to_string(previous->position) +
                         " is not a 64-digit hex hash; run `folio verify`");
    }
  }
  for (const auto& row : hashes) {
    const auto* hex = std::get_if<std::string>(&row[1]);
    if (!hex) continue;  // written before migration 0004: not covered
    running = chain_hash(running, from_hex(*hex));
  }
  const SqlValue seal[] = {last_position, to_hex(running), events::now_timestamp()};
  store.transact(Access::read_write, [&](Transaction& tx) {
    tx.execute(kInsertSeal, seal);
    return Verdict::commit;
  });
  return covered;
}

std::int64_t seal_log(EventStore& store, const std::function<void(std::int64_t)>& on_sealed,
                      std::size_t batch) {
  std::int64_t total = 0;
  for (;;) {
    const std::int64_t n = seal_next_batch(store, batch);
    if (n == 0) return total;
    total += n;
    if (on_sealed) on_sealed(n);
  }
}

namespace {
// The sealer's rest after a step, whatever is committed meanwhile: under steady writes it
// seals about ten times a second, each time what came since.
constexpr std::chrono::milliseconds kSealerMinGap{100};
}  // namespace

LogSealer::LogSealer(EventStore& store, std::chrono::milliseconds poll_interval,
                     ErrorHandler on_error)
    : store_(store),
      poll_interval_(poll_interval),
      on_error_(std::move(on_error)),
      wait_(store, std::min(poll_interval, kSealerMinGap)),
      caught_up_at_(std::chrono::steady_clock::now().time_since_epoch().count()) {
  thread_ = std::thread([this] { run(); });
}

LogSealer::~LogSealer() { stop(); }

void LogSealer::stop() {
  wait_.stop();
  if (thread_.joinable()) thread_.join();
}

LogSealer::Health LogSealer::health() const {
  if (caught_up_) return {up_, 0.0};
  const auto since = std::chrono::steady_clock::now().time_since_epoch() -
                     std::chrono::steady_clock::duration(caught_up_at_.load());
  return {up_, std::chrono::duration<double>(since).count()};
}

void LogSealer::run() {
  name_this_thread("log-sealer");
  std::string last_error;  // reported once, not at every poll, until something changes
  do {
    try {
      // One batch per check of stop(), so stop() waits for one batch at most. Only a full
      // batch goes straight on: a partial one reached the head, and the next step waits for
      // a commit (or the poll), so steady writes do not keep it reading back to back.
      caught_up_ = false;
      while (seal_next_batch(store_) >= static_cast<std::int64_t>(kSealBatch)) {
        if (wait_.stopped()) return;
      }
      caught_up_at_ = std::chrono::steady_clock::now().time_since_epoch().count();
      caught_up_ = true;
      up_ = true;
      last_error.clear();
    } catch (const std::exception& e) {
      up_ = false;
      if (on_error_ && last_error != e.what()) on_error_(e.what());
      last_error = e.what();
    }
  } while (wait_.wait(poll_interval_));
}

}  // namespace folio::store
