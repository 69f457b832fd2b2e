#include "store/postgres/pg_group_commit.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <system_error>

#include "events/thread_name.h"
#include "store/postgres/pg_merged_writes.h"
#include "store/postgres/pg_pipelined_batches.h"
#include "store/postgres/pg_values.h"

namespace folio::store::postgres {

namespace {
// Most statements in one batch: their answers (a row each) stay far below the socket
// buffers, so the blocking connection cannot deadlock with the server (see libpq's
// "Pipeline Mode": the client must not block sending while the server waits to send).
constexpr std::size_t kMaxBatch = 64;
}  // namespace

void GroupWrite::add(const char* value, int length, int format) {
  values_.push_back(value);
  lengths_.push_back(length);
  formats_.push_back(format);
}

void GroupWrite::add_text(std::string_view text) {
  refuse_nul(text);  // libpq reads text up to its NUL
  add(copies_.emplace_back(text).c_str(), 0, 0);
}

void GroupWrite::add_null() { add(nullptr, 0, 0); }

void GroupWrite::order_batch(std::vector<GroupWrite*>& batch) {
  std::stable_sort(batch.begin(), batch.end(), [](const GroupWrite* a, const GroupWrite* b) {
    return a->sort_key_ < b->sort_key_;
  });
}

void GroupWrite::take_position(const PGresult* result) {
  if (parts_.empty()) {
    const bool written = PQntuples(result) > 0 && !PQgetisnull(result, 0, 0);
    position_ = written ? std::atoll(PQgetvalue(result, 0, 0)) : 0;
    return;
  }
  // A merged statement's rows: (ordinal from 1, position or NULL), one per part.
  for (int row = 0; row < PQntuples(result); ++row) {
    const auto part = static_cast<std::size_t>(std::atoll(PQgetvalue(result, row, 0)) - 1);
    if (part >= parts_.size()) continue;
    parts_[part]->position_ =
        PQgetisnull(result, row, 1) ? 0 : std::atoll(PQgetvalue(result, row, 1));
  }
}

void GroupWrite::add_integer(std::int64_t value) {
  add(copies_.emplace_back(std::to_string(value)).c_str(), 0, 0);
}

void GroupWrite::add_binary(std::string_view bytes) {
  add(copies_.emplace_back(bytes).data(), static_cast<int>(bytes.size()), 1);
}

// One libpq connection of the group and the statements prepared on it.
class PgGroupCommit::Connection {
 public:
  explicit Connection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {}
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* get() const { return conn_; }
  bool usable() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
  std::string error() const { return conn_ ? PQerrorMessage(conn_) : "closed"; }
  void close() {
    PQfinish(conn_);
    conn_ = nullptr;
  }

  bool prepare(const char* name, const char* sql) {
    if (prepared_.contains(name)) return true;
    const PgResult result(PQprepare(conn_, name, sql, 0, nullptr));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return false;
    prepared_.insert(name);
    return true;
  }

 private:
  PGconn* conn_;
  std::set<std::string> prepared_;
};

PgGroupCommit::PgGroupCommit(std::string url, int max_batches)
    : url_(std::move(url)),
      max_batches_(std::max(1, max_batches)),
      wakeup_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (wakeup_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

PgGroupCommit::~PgGroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  const std::uint64_t one = 1;  // a sender waiting for its batches' answers looks again
  [[maybe_unused]] const auto ignored = ::write(wakeup_fd_, &one, sizeof one);
  async_waiting_.notify_all();
  for (auto& sender : senders_) sender.join();
  ::close(wakeup_fd_);
  for (GroupWrite* write : waiting_) {  // no batch will take them now
    const std::unique_ptr<GroupWrite> owned(write);
    if (owned->done_) {
      owned->outcome_ = GroupWrite::Outcome::run_alone;
      owned->done_(*owned);
    }
  }
}

PgGroupCommit::Stats PgGroupCommit::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void PgGroupCommit::answer(const std::vector<GroupWrite*>& batch, const BatchOutcome& answer) {
  ++stats_.batches;
  stats_.writes += static_cast<std::int64_t>(batch.size());
  if (answer.outcome != GroupWrite::Outcome::done) ++stats_.failed_batches;
  for (GroupWrite* member : batch) {
    member->outcome_ = answer.outcome;
    member->error_ = answer.error;
    if (member->merged_ && answer.outcome == GroupWrite::Outcome::done) ++stats_.merged_writes;
  }
}

std::unique_ptr<PgGroupCommit::Connection> PgGroupCommit::take_connection() {
  if (idle_.empty()) return nullptr;
  auto connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void PgGroupCommit::run(GroupWrite& write) {
  std::unique_lock lock(mutex_);
  waiting_.push_back(&write);
  wake_pipelining_senders();
  bool taken = false;  // a leader (perhaps this caller) took `write` into its batch
  while (write.outcome_ == GroupWrite::Outcome::pending) {
    if (taken || running_ >= max_batches_) {
      write.answered_.wait(lock);
      taken = taken || std::find(waiting_.begin(), waiting_.end(), &write) == waiting_.end();
      continue;
    }
    // Lead: this write first (it may be behind a full batch's worth), then what waits
    // before it, oldest first.
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), &write));
    taken = true;
    lead(lock, &write);
  }
}

void PgGroupCommit::run_async(std::unique_ptr<GroupWrite> write,
                              std::function<void(GroupWrite&)> done) {
  write->done_ = std::move(done);
  std::unique_lock lock(mutex_);
  try {
    while (static_cast<int>(senders_.size()) < max_batches_) {
      senders_.emplace_back([this] { send_async_writes(); });
    }
  } catch (const std::system_error&) {  // no thread to be had (EAGAIN)
    if (senders_.empty()) {             // none to send it: it runs alone, the usual way
      lock.unlock();
      write->outcome_ = GroupWrite::Outcome::run_alone;
      write->done_(*write);
      return;
    }
  }
  ++async_unanswered_;
  waiting_.push_back(write.release());  // owned by the group until answered (finish)
  wake_next_leader();
  wake_pipelining_senders();
}

void PgGroupCommit::wake_next_leader() {
  if (waiting_.empty() || running_ >= max_batches_) return;
  if (waiting_.front()->done_) {
    async_waiting_.notify_one();
  } else {
    waiting_.front()->answered_.notify_one();
  }
}

void PgGroupCommit::send_async_writes() {
  name_this_thread("pg-commit");
  std::unique_ptr<PgPipelinedBatches> connection;
  bool holds_slot = false;  // counted in running_ while its connection has batches in flight
  std::unique_lock lock(mutex_);
  while (true) {
    const std::size_t in_flight = connection ? connection->in_flight() : 0;
    if (in_flight == 0) {
      if (holds_slot) {
        holds_slot = false;
        --running_;
        wake_next_leader();
      }
      if (stopping_) return;
      if (waiting_.empty() || running_ >= max_batches_ || !waiting_.front()->done_) {
        async_waiting_.wait(lock);
        continue;
      }
    }
    // A second batch goes behind the first only when no other batch may start (another
    // sender's backend would run it sooner) and not once the group stops.
    const bool may_pipeline = !stopping_ && !waiting_.empty() && running_ >= max_batches_ &&
                              in_flight < PgPipelinedBatches::kDepth;
    if (in_flight == 0 || may_pipeline) {
      std::vector<GroupWrite*> batch = take_batch(nullptr);
      if (in_flight > 0) ++stats_.pipelined_batches;
      if (!holds_slot) {
        holds_slot = true;
        ++running_;
      }
      wake_next_leader();  // more than a batch's worth waits and another batch may start
      lock.unlock();
      if (!connection || (in_flight == 0 && !connection->usable())) {
        connection = std::make_unique<PgPipelinedBatches>(url_);
      }
      connection->send(std::move(batch));
      auto answered = connection->take_answered();
      lock.lock();
      deliver(lock, answered);
      continue;
    }
    // Batches in flight: wait for their answers, or for writes to send behind them.
    const bool would_pipeline = in_flight < PgPipelinedBatches::kDepth;
    if (would_pipeline) ++senders_polling_;
    lock.unlock();
    pollfd watched[2] = {
        {.fd = connection->socket(),
         .events = static_cast<short>(POLLIN | (connection->wants_write() ? POLLOUT : 0)),
         .revents = 0},
        // Only a sender that would send another batch watches for new writes: another would
        // take the wake-up (reading the eventfd back to 0) from one that needs it.
        {.fd = would_pipeline ? wakeup_fd_ : -1, .events = POLLIN, .revents = 0}};
    if (::poll(watched, 2, -1) > 0) {
      if (watched[1].revents & POLLIN) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto ignored = ::read(wakeup_fd_, &count, sizeof count);
      }
      if (watched[0].revents & POLLOUT) connection->on_writable();
      if (watched[0].revents & (POLLIN | POLLERR | POLLHUP)) connection->on_readable();
    }
    auto answered = connection->take_answered();
    lock.lock();
    if (would_pipeline) --senders_polling_;
    deliver(lock, answered);
  }
}

void PgGroupCommit::wake_pipelining_senders() {
  if (senders_polling_ == 0) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto ignored = ::write(wakeup_fd_, &one, sizeof one);
}

std::vector<GroupWrite*> PgGroupCommit::take_batch(GroupWrite* first) {
  std::vector<GroupWrite*> batch;
  if (first) batch.push_back(first);
  while (!waiting_.empty() && batch.size() < kMaxBatch) {
    batch.push_back(waiting_.front());
    waiting_.pop_front();
  }
  return batch;
}

void PgGroupCommit::deliver(std::unique_lock<std::mutex>& lock,
                            std::vector<AnsweredBatch>& answered) {
  for (auto& [batch, outcome] : answered) {
    answer(batch, outcome);
    finish(lock, batch, nullptr);
  }
}

void PgGroupCommit::lead(std::unique_lock<std::mutex>& lock, GroupWrite* first) {
  std::vector<GroupWrite*> batch = take_batch(first);
  ++running_;
  // More than one batch's worth waits and another batch may start: wake its leader.
  wake_next_leader();
  auto connection = take_connection();
  lock.unlock();
  BatchOutcome batch_answer{GroupWrite::Outcome::run_alone, ""};
  try {
    if (!connection || !connection->usable()) connection = std::make_unique<Connection>(url_);
  } catch (const std::exception& e) {  // nothing was sent: each runs alone
    batch_answer.error = e.what();
  }
  if (connection) {
    try {
      batch_answer = send(batch, *connection);
    } catch (const std::exception& e) {  // perhaps after the Sync: never run them again
      connection->close();
      batch_answer = {GroupWrite::Outcome::in_doubt, e.what()};
    }
  }
  lock.lock();
  --running_;
  if (connection && connection->usable()) idle_.push_back(std::move(connection));
  answer(batch, batch_answer);
  finish(lock, batch, first);
}

void PgGroupCommit::finish(std::unique_lock<std::mutex>& lock,
                           const std::vector<GroupWrite*>& batch, const GroupWrite* leader) {
  std::vector<std::unique_ptr<GroupWrite>> answered_async;
  for (GroupWrite* member : batch) {
    if (member->done_) {
      answered_async.emplace_back(member);
    } else if (member != leader) {
      member->answered_.notify_one();
    }
  }
  wake_next_leader();
  if (answered_async.empty()) return;
  const std::size_t batch_async_count = answered_async.size();
  lock.unlock();
  for (auto& member : answered_async) {
    try {
      member->done_(*member);
    } catch (...) {  // the sender must go on; done's own contract is not to throw
    }
  }
  answered_async.clear();
  lock.lock();
  async_unanswered_ -= static_cast<int>(batch_async_count);
  if (async_unanswered_ == 0) async_answered_.notify_all();
}

void PgGroupCommit::wait_for_async_writes() {
  std::unique_lock lock(mutex_);
  async_answered_.wait(lock, [this] { return async_unanswered_ == 0; });
}

void PgGroupCommit::run_batch(std::vector<GroupWrite*> batch) {
  std::unique_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    connection = take_connection();
  }
  if (!connection || !connection->usable()) connection = std::make_unique<Connection>(url_);
  const BatchOutcome batch_answer = send(batch, *connection);
  std::lock_guard lock(mutex_);
  answer(batch, batch_answer);
  if (connection->usable()) idle_.push_back(std::move(connection));
}

// Sends the batch and reads its answers; sets the members' positions. Runs without mutex_:
// the members' threads read nothing of their write before the leader sets its outcome under
// mutex_.
BatchOutcome PgGroupCommit::send(std::vector<GroupWrite*>& batch, Connection& connection) {
  using Outcome = GroupWrite::Outcome;
  // Nothing was sent, or nothing was committed: each member meets the failure on its own.
  if (!connection.usable()) return {Outcome::run_alone, connection.error()};
  GroupWrite::order_batch(batch);
  const BatchStatements statements = BatchStatements::of(batch);
  for (GroupWrite* member : statements.statements) {
    if (!connection.prepare(member->name_, member->sql_)) {
      return {Outcome::run_alone, connection.error()};
    }
  }
  PGconn* conn = connection.get();
  if (PQenterPipelineMode(conn) != 1) return {Outcome::run_alone, connection.error()};
  for (GroupWrite* member : statements.statements) {
    if (PQsendQueryPrepared(conn, member->name_, static_cast<int>(member->values_.size()),
                            member->values_.data(), member->lengths_.data(),
                            member->formats_.data(), 0) != 1) {
      // No Sync was sent, so nothing can commit; the connection is not reused.
      const std::string error = connection.error();
      connection.close();
      return {Outcome::run_alone, error};
    }
  }
  // From here on the batch commits when the server reads the Sync: a connection lost before
  // its answer leaves the outcome unknown, unless a statement had already failed.
  if (PQpipelineSync(conn) != 1) {  // the connection is unusable in pipeline mode now
    const std::string error = connection.error();
    connection.close();
    return {Outcome::in_doubt, error};
  }
  bool statement_failed = false;
  std::string error;
  for (GroupWrite* member : statements.statements) {
    const PgResult result(PQgetResult(conn));
    if (!result) {  // answers out of step with the statements: trust nothing after this
      const std::string lost = connection.error();
      connection.close();
      return {statement_failed ? Outcome::run_alone : Outcome::in_doubt, lost};
    }
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      member->take_position(result.get());
    } else if (status == PGRES_PIPELINE_ABORTED) {
      statement_failed = true;  // skipped after an earlier member's error
    } else {
      // An error the server sent (it carries an SQLSTATE) aborts the batch's transaction
      // before its Sync, so nothing can have committed, even when the server closed the
      // connection right after it (57P01: the backend was terminated). An error libpq made
      // up for a lost connection has none: the batch may then have committed meanwhile.
      const bool from_server = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) != nullptr;
      if (!connection.usable() && !from_server) {
        return {statement_failed ? Outcome::run_alone : Outcome::in_doubt, connection.error()};
      }
      if (!statement_failed) error = PQresultErrorMessage(result.get());
      statement_failed = true;
    }
    const PgResult end(PQgetResult(conn));  // NULL: the end of this statement's results
  }
  const PgResult sync(PQgetResult(conn));
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    const std::string lost = connection.error();
    connection.close();
    return {statement_failed ? Outcome::run_alone : Outcome::in_doubt, lost};
  }
  if (PQexitPipelineMode(conn) != 1) connection.close();
  return {statement_failed ? Outcome::run_alone : Outcome::done, error};
}

}  // namespace folio::store::postgres
