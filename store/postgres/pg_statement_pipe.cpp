#include "store/postgres/pg_statement_pipe.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "store/postgres/pg_values.h"

namespace folio::store::postgres {

namespace {
// How long a connection attempt may stall its caller's event loop when the server does not
// answer at all (a refused connection fails at once), and how long to wait before the next.
constexpr const char* kConnectTimeoutSeconds = "2";
constexpr std::chrono::seconds kReconnectPause{1};

std::vector<SqlRow> rows_of(const PGresult* result) {
  const int columns = PQnfields(result);
  std::vector<bool> integer_column;
  integer_column.reserve(static_cast<std::size_t>(columns));
  for (int c = 0; c < columns; ++c) integer_column.push_back(is_integer_oid(PQftype(result, c)));
  std::vector<SqlRow> rows(static_cast<std::size_t>(PQntuples(result)));
  for (int r = 0; r < PQntuples(result); ++r) {
    SqlRow& row = rows[static_cast<std::size_t>(r)];
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back();
      } else if (integer_column[static_cast<std::size_t>(c)]) {
        row.emplace_back(
            static_cast<std::int64_t>(std::strtoll(PQgetvalue(result, r, c), nullptr, 10)));
      } else {
        row.emplace_back(std::string(PQgetvalue(result, r, c),
                                     static_cast<std::size_t>(PQgetlength(result, r, c))));
      }
    }
  }
  return rows;
}
}  // namespace

PgStatementPipe::PgStatementPipe(std::string url, PipeCounters* counters, PgGroupCommit* group,
                                 std::function<void()> on_commit)
    : url_(std::move(url)), counters_(counters), group_(group), on_commit_(std::move(on_commit)) {}

PgStatementPipe::~PgStatementPipe() {
  if (conn_) {
    if (before_close_) before_close_();
    PQfinish(conn_);
  }
}

int PgStatementPipe::socket() const { return conn_ ? PQsocket(conn_) : -1; }

bool PgStatementPipe::connect() {
  if (std::chrono::steady_clock::now() < next_connect_) return false;
  // The URL (a URI or key=value string) expanded, then a connect timeout of its own.
  const char* const keywords[] = {"dbname", "connect_timeout", nullptr};
  const char* const values[] = {url_.c_str(), kConnectTimeoutSeconds, nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (PQstatus(conn_) == CONNECTION_OK && PQsetnonblocking(conn_, 1) == 0 &&
      PQenterPipelineMode(conn_) == 1) {
    return true;
  }
  PQfinish(conn_);
  conn_ = nullptr;
  next_connect_ = std::chrono::steady_clock::now() + kReconnectPause;
  return false;
}

void PgStatementPipe::fail_all() {
  if (conn_) {
    if (before_close_) before_close_();
    PQfinish(conn_);
    conn_ = nullptr;
  }
  prepared_.clear();
  unsynced_ = false;
  for (Expected& expected : expected_) {
    if (expected.done) failed_.push_back(std::move(expected.done));
  }
  expected_.clear();
}

void PgStatementPipe::deliver_failures() {
  // Moved out first: a caller may queue its statement again from its callback.
  std::vector<Done> failed;
  failed.swap(failed_);
  if (counters_ && !failed.empty()) counters_->failed += static_cast<std::int64_t>(failed.size());
  for (Done& done : failed) done(nullptr);
}

void PgStatementPipe::submit(const char* sql, std::span<const SqlValue> params, Done done) {
  if (!conn_ && !connect()) {
    failed_.push_back(std::move(done));
    return;
  }
  const std::string name = statement_name(sql);
  if (!prepared_.contains(name)) {
    if (PQsendPrepare(conn_, name.c_str(), sql, 0, nullptr) != 1) {
      fail_all();
      failed_.push_back(std::move(done));
      return;
    }
    prepared_.insert(name);
    expected_.push_back(Expected{.prepared = name});
  }
  const TextParams values(params);
  if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.values().size()),
                          values.values().data(), nullptr, nullptr, 0) != 1) {
    fail_all();
    failed_.push_back(std::move(done));
    return;
  }
  expected_.push_back(Expected{.done = std::move(done)});
  unsynced_ = true;
}

void PgStatementPipe::submit_write(std::unique_ptr<PipedWrite> write, WriteDone done) {
  std::unique_ptr<GroupWrite> group_write(dynamic_cast<GroupWrite*>(write.get()));
  if (!group_write) throw StoreUsageError("a write captured by another store sent to PostgreSQL");
  write.release();
  if (!group_) return done(WriteAnswer::failed, 0);
  if (counters_) ++counters_->writes;
  // Not `this`: a write may be answered after its pipe has gone (the group outlives pipes).
  group_->run_async(std::move(group_write),
                    [on_commit = on_commit_, done = std::move(done)](GroupWrite& answered) {
                      switch (answered.outcome()) {
                        case GroupWrite::Outcome::done:
                          if (answered.position() > 0 && on_commit) on_commit();
                          return done(WriteAnswer::committed, answered.position());
                        case GroupWrite::Outcome::in_doubt:
                          return done(WriteAnswer::in_doubt, 0);
                        default:
                          return done(WriteAnswer::failed, 0);
                      }
                    });
}

bool PgStatementPipe::flush() {
  bool more = false;
  if (conn_ && unsynced_) {
    if (PQpipelineSync(conn_) == 1) {
      expected_.push_back(Expected{.sync = true});
      unsynced_ = false;
      if (counters_) ++counters_->batches;
    } else {
      fail_all();
    }
  }
  if (conn_) {
    const int flushed = PQflush(conn_);
    if (flushed < 0) fail_all();
    more = flushed == 1;
  }
  deliver_failures();
  return more;
}

void PgStatementPipe::answer(Expected& expected) {
  const ExecStatusType status = PQresultStatus(expected.result.get());
  const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
  if (!expected.done) {  // a PREPARE: on failure, its statements failed too; prepare again
    if (!ok) prepared_.erase(expected.prepared);
    return;
  }
  if (counters_) ++(ok ? counters_->statements : counters_->failed);
  if (!ok) return expected.done(nullptr);
  const std::vector<SqlRow> rows = rows_of(expected.result.get());
  expected.done(&rows);
}

void PgStatementPipe::on_readable() {
  if (conn_ && PQconsumeInput(conn_) != 1) fail_all();
  // Collected first and answered after: a callback may queue statements, or fail them all.
  std::vector<Expected> answered;
  while (conn_ && !expected_.empty() && !PQisBusy(conn_)) {
    PgResult result(PQgetResult(conn_));
    Expected& next = expected_.front();
    if (next.sync) {
      if (!result || PQresultStatus(result.get()) != PGRES_PIPELINE_SYNC) {
        fail_all();
        break;
      }
      expected_.pop_front();
    } else if (!next.result) {
      if (!result) {
        fail_all();
        break;
      }
      next.result = std::move(result);
    } else if (result) {  // not the NULL that ends a statement's results
      fail_all();
      break;
    } else {
      answered.push_back(std::move(next));
      expected_.pop_front();
    }
  }
  if (conn_ && PQstatus(conn_) == CONNECTION_BAD) fail_all();
  for (Expected& expected : answered) answer(expected);
  deliver_failures();
}

}  // namespace folio::store::postgres
