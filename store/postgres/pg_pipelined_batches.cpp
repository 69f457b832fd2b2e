#include "store/postgres/pg_pipelined_batches.h"

#include <libpq-fe.h>

#include "store/postgres/pg_merged_writes.h"
#include "store/postgres/pg_values.h"

namespace folio::store::postgres {

using Outcome = GroupWrite::Outcome;

PgPipelinedBatches::PgPipelinedBatches(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  if (PQstatus(conn_) != CONNECTION_OK || PQsetnonblocking(conn_, 1) != 0 ||
      PQenterPipelineMode(conn_) != 1) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

PgPipelinedBatches::~PgPipelinedBatches() { PQfinish(conn_); }

bool PgPipelinedBatches::usable() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

int PgPipelinedBatches::socket() const { return conn_ ? PQsocket(conn_) : -1; }

std::vector<AnsweredBatch> PgPipelinedBatches::take_answered() {
  std::vector<AnsweredBatch> answered;
  answered.swap(answered_);
  return answered;
}

void PgPipelinedBatches::lose_connection() {
  const std::string error = conn_ ? PQerrorMessage(conn_) : "no connection";
  PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
  awaiting_end_ = false;
  wants_write_ = false;
  for (InFlight& lost : batches_) {
    answered_.push_back({std::move(lost.batch),
                         {lost.statement_failed ? Outcome::run_alone : Outcome::in_doubt,
                          lost.statement_failed ? lost.error : error}});
  }
  batches_.clear();
}

void PgPipelinedBatches::send(std::vector<GroupWrite*> batch) {
  if (!usable()) {  // nothing is sent: each member meets the failure on its own
    answered_.push_back({std::move(batch), {Outcome::run_alone, "no connection to the database"}});
    return;
  }
  GroupWrite::order_batch(batch);
  BatchStatements statements = BatchStatements::of(batch);
  InFlight sent{.batch = std::move(batch), .merged = std::move(statements.merged)};
  const auto unsent = [&] {  // no Sync went out: nothing of this batch can commit
    const std::string error = PQerrorMessage(conn_);
    lose_connection();  // the connection is unusable in pipeline mode now
    answered_.push_back({std::move(sent.batch), {Outcome::run_alone, error}});
  };
  // The statements new to this connection are prepared first, before any member runs: a
  // PREPARE after a failed member would be skipped, and the batch sent behind this one,
  // counting on it, would fail.
  for (GroupWrite* member : statements.statements) {
    if (prepared_.contains(member->name_)) continue;
    if (PQsendPrepare(conn_, member->name_, member->sql_, 0, nullptr) != 1) return unsent();
    prepared_.insert(member->name_);
    sent.steps.push_back({.prepared = member->name_});
  }
  for (GroupWrite* member : statements.statements) {
    if (PQsendQueryPrepared(conn_, member->name_, static_cast<int>(member->values_.size()),
                            member->values_.data(), member->lengths_.data(),
                            member->formats_.data(), 0) != 1) {
      return unsent();
    }
    sent.steps.push_back({.member = member});
  }
  if (PQpipelineSync(conn_) != 1) {  // as PgGroupCommit::send: the outcome is not known
    batches_.push_back(std::move(sent));
    return lose_connection();
  }
  batches_.push_back(std::move(sent));
  flush();
}

void PgPipelinedBatches::flush() {
  const int flushed = PQflush(conn_);
  if (flushed < 0) return lose_connection();
  wants_write_ = flushed == 1;
  // A flush that could not send everything read what had arrived into libpq's buffer, where
  // poll() does not see it: answer it now.
  read_buffered();
}

void PgPipelinedBatches::on_writable() {
  if (conn_) flush();
}

void PgPipelinedBatches::on_readable() {
  if (!conn_) return;
  if (PQconsumeInput(conn_) != 1) return lose_connection();
  read_buffered();
}

void PgPipelinedBatches::read_buffered() {
  while (conn_ && !batches_.empty() && !PQisBusy(conn_)) read_result(batches_.front());
  if (conn_ && PQstatus(conn_) == CONNECTION_BAD) lose_connection();
}

// One PQgetResult for the front batch; see PgGroupCommit::send, whose reading this follows.
void PgPipelinedBatches::read_result(InFlight& front) {
  const PgResult result(PQgetResult(conn_));
  if (front.next == front.steps.size()) {  // its Sync
    if (!result || PQresultStatus(result.get()) != PGRES_PIPELINE_SYNC) return lose_connection();
    answered_.push_back(
        {std::move(front.batch),
         {front.statement_failed ? Outcome::run_alone : Outcome::done, std::move(front.error)}});
    batches_.pop_front();
    return;
  }
  if (awaiting_end_) {  // the NULL that ends a step's results
    if (result) return lose_connection();
    awaiting_end_ = false;
    ++front.next;
    return;
  }
  if (!result) return lose_connection();  // answers out of step: trust nothing after this
  awaiting_end_ = true;
  const Step& step = front.steps[front.next];
  const ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
    if (step.member) step.member->take_position(result.get());
    return;
  }
  if (step.prepared) prepared_.erase(step.prepared);  // prepare it again with the next use
  if (status == PGRES_PIPELINE_ABORTED) {
    front.statement_failed = true;  // skipped after an earlier step's error
    return;
  }
  // An error the server sent (with an SQLSTATE) aborted the batch before its Sync: nothing
  // of it committed. One libpq made up (a lost connection, no memory for the result) says
  // nothing of what the server did: the batch is in doubt, and the connection not trusted.
  const bool from_server = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) != nullptr;
  if (!from_server) return lose_connection();
  if (!front.statement_failed) front.error = PQresultErrorMessage(result.get());
  front.statement_failed = true;
}

}  // namespace folio::store::postgres
