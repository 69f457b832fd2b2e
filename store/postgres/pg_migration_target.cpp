#include "store/postgres/pg_migration_target.h"

#include <pqxx/except>
#include <pqxx/result>
#include <pqxx/transaction>

#include "events/timestamp.h"
#include "store/database_url.h"
#include "store/store_error.h"

namespace folio::store::postgres {

namespace {
constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(hashtext('folio_migrations'))";
}  // namespace

PgMigrationTarget::PgMigrationTarget(const std::string& url) {
  try {
    connection_ = std::make_unique<pqxx::connection>(url);
  } catch (const pqxx::broken_connection& e) {
    throw StoreUnavailable("cannot connect to PostgreSQL at " + redact_database_url(url) +
                           ": " + e.what());
  }
}

std::vector<MigrationStatus> PgMigrationTarget::applied() {
  pqxx::work tx(*connection_);
  tx.exec(kLock);
  tx.exec0(kCreateTable);
  const auto rows =
      tx.exec("SELECT number, name, applied_at FROM schema_migrations ORDER BY number");
  tx.commit();
  std::vector<MigrationStatus> result;
  for (const auto& row : rows) {
    result.push_back({row[0].as<int>(), row[1].c_str(), true, row[2].c_str()});
  }
  return result;
}

void PgMigrationTarget::apply(const Migration& migration, bool up) {
  pqxx::work tx(*connection_);
  tx.exec(kLock);
  tx.exec0(kCreateTable);
  const bool is_applied =
      !tx.exec_params("SELECT 1 FROM schema_migrations WHERE number = $1", migration.number)
           .empty();
  if (is_applied != up) {
    tx.exec(up ? migration.up_sql : migration.down_sql);
    if (up) {
      tx.exec_params0("INSERT INTO schema_migrations (number, name, applied_at) VALUES ($1, $2, $3)",
                      migration.number, migration.name, events::now_timestamp());
    } else {
      tx.exec_params0("DELETE FROM schema_migrations WHERE number = $1", migration.number);
    }
  }
  tx.commit();
}

}  // namespace folio::store::postgres
