// Schema migrations: numbered plain-SQL files per dialect (migrations/<dialect>/NNNN_name.
// {up,down}.sql), embedded into the binary at build time. The table schema_migrations
// records what ran. Each migration runs in its own transaction together with its record.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace folio::store {

struct Migration {
  int number = 0;
  std::string name;  // "event_store"
  std::string up_sql;
  std::string down_sql;
};

// The migrations shipped for a dialect ("sqlite" or "postgresql"), in number order.
const std::vector<Migration>& bundled_migrations(const std::string& dialect);

struct MigrationStatus {
  int number = 0;
  std::string name;
  bool applied = false;
  std::string applied_at;  // empty when not applied
};

// One backend's way to run migration SQL. Implemented per dialect in store/sqlite and
// store/postgres.
class MigrationTarget {
 public:
  virtual ~MigrationTarget() = default;
  virtual std::string dialect() const = 0;
  // Numbers of the applied migrations, with their applied_at. Creates schema_migrations
  // if it is missing.
  virtual std::vector<MigrationStatus> applied() = 0;
  // Runs `sql` and inserts (up) or deletes (down) the record, in one transaction.
  virtual void apply(const Migration& migration, bool up) = 0;
};

// Opens a migration target for the database URL. Throws StoreUnavailable.
std::unique_ptr<MigrationTarget> open_migration_target(const std::string& url);

class Migrator {
 public:
  // `migrations` defaults to the bundled ones for the target's dialect.
  explicit Migrator(MigrationTarget& target);
  Migrator(MigrationTarget& target, std::vector<Migration> migrations);

  // Applies every pending migration in order. Returns the numbers applied (empty when the
  // schema is current: running up twice is a no-op).
  std::vector<int> up();
  // Reverts the `steps` most recently applied migrations, newest first. Returns their
  // numbers.
  std::vector<int> down(int steps = 1);
  // Every known migration and whether it is applied.
  std::vector<MigrationStatus> status();

 private:
  MigrationTarget& target_;
  std::vector<Migration> migrations_;
};

}  // namespace folio::store
