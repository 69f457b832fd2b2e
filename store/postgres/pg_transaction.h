// Transaction over one open libpqxx transaction. The statements it runs are prepared once
// per connection by prepare_event_store_statements().
#pragma once

#include <pqxx/connection>
#include <pqxx/transaction_base>

#include "store/postgres/pg_group_commit.h"
#include "store/sql_transaction.h"

namespace folio::store::postgres {

void prepare_event_store_statements(pqxx::connection_base& connection);

// Transaction::read_stream's statement ($1 the stream, $2 and $3 the versions), and the
// events of its rows as a StatementPipe answers them.
const char* read_stream_sql();
std::vector<RecordedEvent> events_of(const std::vector<SqlRow>& rows);

// check_and_insert_one's statement (with `along`'s write, if any; expected 0: a creation)
// and its parameters, ready to be sent later: by group commit, or by a pipe (see
// PgEventStore::capture_write).
std::unique_ptr<GroupWrite> one_statement_write(const std::string& stream_id,
                                                const std::string& entity_type,
                                                std::int64_t expected, const NewEvent& event,
                                                const std::string& recorded_at,
                                                const EventMetadata& metadata,
                                                const WriteAlong* along);

class PgTransaction final : public SqlTransaction {
 public:
  // `lazy`: tx is the pqxx::nontransaction of an Access::lazy_write unit: statements run
  // on their own until the first one that needs a transaction (a lock or a write other than
  // check_and_insert_one), which sends BEGIN first; the caller then ends the transaction
  // (begun()). A write after an autocommitted check_and_insert_one throws StoreUsageError.
  // `group`: a lazy unit's one-statement write goes through it (see pg_group_commit.h).
  explicit PgTransaction(pqxx::transaction_base& tx, bool lazy = false,
                         PgGroupCommit* group = nullptr)
      : tx_(tx), lazy_(lazy), group_(group) {}

  bool begun() const { return begun_; }  // lazy: BEGIN was sent
  // lazy: its one-statement write wrote an event and committed by itself.
  bool committed_alone() const { return committed_alone_; }

  std::int64_t stream_version(const std::string& stream_id) override;
  std::vector<RecordedEvent> read_stream(const std::string& stream_id, std::int64_t from_version,
                                         std::int64_t to_version) override;
  std::vector<RecordedEvent> read_all(std::int64_t after_position, std::size_t limit) override;
  std::int64_t settled_head() override;
  std::size_t execute(const char* sql, std::span<const SqlValue> params) override;
  std::vector<SqlRow> query(const char* sql, std::span<const SqlValue> params) override;
  void lock_key(std::string_view key, bool shared) override;
  void execute_script(const std::string& sql) override {
    need_transaction();
    tx_.exec(sql);
  }

  pqxx::transaction_base& pqxx_transaction() { return tx_; }

 protected:
  bool bump_stream(const std::string& stream_id, std::int64_t expected, std::int64_t count,
                   const std::string& command_id) override;
  bool create_stream(const std::string& stream_id, const std::string& entity_type,
                     std::int64_t count) override;
  std::int64_t force_bump_stream(const std::string& stream_id, const std::string& entity_type,
                                 std::int64_t count) override;
  std::optional<PriorAppend> find_command(const std::string& stream_id,
                                          const std::string& command_id) override;
  std::optional<std::int64_t> check_and_insert_one(const std::string& stream_id,
                                                   const std::string& entity_type,
                                                   std::int64_t expected, const NewEvent& event,
                                                   const std::string& recorded_at,
                                                   const EventMetadata& metadata,
                                                   const WriteAlong* along) override;
  std::int64_t insert_event(const std::string& stream_id, std::int64_t stream_version,
                            const NewEvent& event, const std::string& recorded_at,
                            const EventMetadata& metadata, std::string_view canonical) override;

 private:
  // read_all's and settled_head's steps 1 and 2-3 (see pg_transaction.cpp): the highest
  // position taken; the wait for the appends that hold the log lock now.
  std::int64_t positions_taken();
  void wait_for_appends_in_flight();
  pqxx::result run(const char* sql, std::span<const SqlValue> params);
  // check_and_insert_one's statement: the event's position, 0 when nothing was written.
  std::int64_t insert_one(const std::string& stream_id, const std::string& entity_type,
                          std::int64_t expected, const NewEvent& event,
                          const std::string& recorded_at, const EventMetadata& metadata,
                          const WriteAlong* along);
  // insert_one's statement in a batch of the group: its position, or nullopt when the batch
  // failed and wrote nothing. Throws pqxx::in_doubt_error.
  std::optional<std::int64_t> insert_one_in_group(const std::string& stream_id,
                                                  const std::string& entity_type,
                                                  std::int64_t expected, const NewEvent& event,
                                                  const std::string& recorded_at,
                                                  const EventMetadata& metadata,
                                                  const WriteAlong* along);
  // Before a statement that needs the transaction (see the constructor).
  void need_transaction();

  pqxx::transaction_base& tx_;
  const bool lazy_;
  PgGroupCommit* const group_;
  bool begun_ = false;
  bool autocommitted_ = false;  // lazy: a write was sent without a transaction
  bool committed_alone_ = false;
};

}  // namespace folio::store::postgres
