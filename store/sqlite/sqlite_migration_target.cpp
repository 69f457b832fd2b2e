#include "store/sqlite/sqlite_migration_target.h"

#include "events/timestamp.h"

namespace folio::store::sqlite {

namespace {
constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
constexpr const char* kSelectApplied =
    "SELECT number, name, applied_at FROM schema_migrations ORDER BY number";
constexpr const char* kIsApplied = "SELECT 1 FROM schema_migrations WHERE number = ?1";
constexpr const char* kRecord =
    "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?1, ?2, ?3)";
constexpr const char* kUnrecord = "DELETE FROM schema_migrations WHERE number = ?1";
}  // namespace

std::vector<MigrationStatus> SqliteMigrationTarget::applied() {
  db_.exec_script(kCreateTable);
  auto stmt = db_.prepare(kSelectApplied);
  std::vector<MigrationStatus> result;
  while (stmt.step()) {
    result.push_back({static_cast<int>(stmt.int64(0)), stmt.text(1), true, stmt.text(2)});
  }
  return result;
}

void SqliteMigrationTarget::apply(const Migration& migration, bool up) {
  db_.exec_script(kCreateTable);
  // IMMEDIATE takes the write lock first, so two processes migrating at once serialize and
  // the second sees the first one's record below.
  db_.exec_script("BEGIN IMMEDIATE");
  try {
    bool is_applied = false;
    {
      auto check = db_.prepare(kIsApplied);
      check.bind(1, static_cast<std::int64_t>(migration.number));
      is_applied = check.step();
    }
    if (is_applied != up) {
      db_.exec_script(up ? migration.up_sql : migration.down_sql);
      if (up) {
        const std::string applied_at = events::now_timestamp();
        auto record = db_.prepare(kRecord);
        record.bind(1, static_cast<std::int64_t>(migration.number))
            .bind(2, migration.name)
            .bind(3, applied_at);
        record.execute();
      } else {
        auto unrecord = db_.prepare(kUnrecord);
        unrecord.bind(1, static_cast<std::int64_t>(migration.number));
        unrecord.execute();
      }
    }
    db_.exec_script("COMMIT");
  } catch (...) {
    if (!db_.in_autocommit()) db_.exec_script("ROLLBACK");
    throw;
  }
}

}  // namespace folio::store::sqlite
