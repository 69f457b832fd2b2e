// Transaction over one SQLite connection on which a transaction (or savepoint) is open.
#pragma once

#include "store/sql_transaction.h"
#include "store/sqlite/sqlite_connection.h"

namespace folio::store::sqlite {

class SqliteTransaction final : public SqlTransaction {
 public:
  explicit SqliteTransaction(SqliteConnection& connection) : db_(connection) {}

  std::int64_t stream_version(const std::string& stream_id) override;
  std::vector<RecordedEvent> read_stream(const std::string& stream_id, std::int64_t from_version,
                                         std::int64_t to_version) override;
  std::vector<RecordedEvent> read_all(std::int64_t after_position, std::size_t limit) override;
  std::int64_t settled_head() override;
  std::size_t execute(const char* sql, std::span<const SqlValue> params) override;
  std::vector<SqlRow> query(const char* sql, std::span<const SqlValue> params) override;
  void lock_key(std::string_view, bool) override {}  // the single writer serializes
  void execute_script(const std::string& sql) override { db_.exec_script(sql); }

  SqliteConnection& connection() { return db_; }

 protected:
  bool bump_stream(const std::string& stream_id, std::int64_t expected, std::int64_t count,
                   const std::string& command_id) override;
  bool create_stream(const std::string& stream_id, const std::string& entity_type,
                     std::int64_t count) override;
  std::int64_t force_bump_stream(const std::string& stream_id, const std::string& entity_type,
                                 std::int64_t count) override;
  std::optional<PriorAppend> find_command(const std::string& stream_id,
                                          const std::string& command_id) override;
  std::int64_t insert_event(const std::string& stream_id, std::int64_t stream_version,
                            const NewEvent& event, const std::string& recorded_at,
                            const EventMetadata& metadata, std::string_view canonical) override;

 private:
  SqliteConnection& db_;
};

}  // namespace folio::store::sqlite
