#include "store/migrator.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "store/embedded_migrations.h"
#include "store/store_error.h"

namespace folio::store {

namespace {

std::string folder_of_dialect(const std::string& dialect) {
  return dialect == "postgresql" ? "postgres" : dialect;
}

std::vector<Migration> load_bundled(const std::string& dialect) {
  static const std::regex file_pattern(R"(^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$)");
  std::map<int, Migration> by_number;
  for (const auto& file : detail::embedded_migration_files()) {
    if (file.dialect_folder != folder_of_dialect(dialect)) continue;
    std::smatch m;
    if (!std::regex_match(file.file_name, m, file_pattern)) {
      throw StoreCorrupt("bundled migration file name '" + file.file_name +
                         "' does not match NNNN_name.up.sql / NNNN_name.down.sql");
    }
    Migration& migration = by_number[std::stoi(m[1])];
    migration.number = std::stoi(m[1]);
    migration.name = m[2];
    (m[3] == "up" ? migration.up_sql : migration.down_sql) = file.contents;
  }
  std::vector<Migration> result;
  for (auto& [number, migration] : by_number) {
    if (migration.up_sql.empty() || migration.down_sql.empty()) {
      throw StoreCorrupt("bundled migration " + std::to_string(number) +
                         " lacks its up or down file");
    }
    result.push_back(std::move(migration));
  }
  return result;
}

}  // namespace

const std::vector<Migration>& bundled_migrations(const std::string& dialect) {
  static const std::vector<Migration> sqlite = load_bundled("sqlite");
  static const std::vector<Migration> postgresql = load_bundled("postgresql");
  if (dialect == "sqlite") return sqlite;
  if (dialect == "postgresql") return postgresql;
  throw StoreUsageError("no migrations for dialect '" + dialect + "'");
}

Migrator::Migrator(MigrationTarget& target)
    : Migrator(target, bundled_migrations(target.dialect())) {}

Migrator::Migrator(MigrationTarget& target, std::vector<Migration> migrations)
    : target_(target), migrations_(std::move(migrations)) {
  std::sort(migrations_.begin(), migrations_.end(),
            [](const Migration& a, const Migration& b) { return a.number < b.number; });
}

std::vector<int> Migrator::up() {
  std::set<int> applied;
  for (const auto& s : target_.applied()) applied.insert(s.number);
  std::vector<int> ran;
  for (const auto& migration : migrations_) {
    if (applied.count(migration.number)) continue;
    target_.apply(migration, /*up=*/true);
    ran.push_back(migration.number);
  }
  return ran;
}

std::vector<int> Migrator::down(int steps) {
  std::vector<int> applied;
  for (const auto& s : target_.applied()) applied.push_back(s.number);
  std::sort(applied.rbegin(), applied.rend());
  std::vector<int> reverted;
  for (int number : applied) {
    if (static_cast<int>(reverted.size()) >= steps) break;
    auto it = std::find_if(migrations_.begin(), migrations_.end(),
                           [&](const Migration& m) { return m.number == number; });
    if (it == migrations_.end()) {
      throw StoreCorrupt("migration " + std::to_string(number) +
                         " is applied but unknown to this binary; cannot revert it");
    }
    target_.apply(*it, /*up=*/false);
    reverted.push_back(number);
  }
  return reverted;
}

std::vector<MigrationStatus> Migrator::status() {
  std::map<int, MigrationStatus> applied;
  for (auto& s : target_.applied()) applied[s.number] = s;
  std::vector<MigrationStatus> result;
  for (const auto& migration : migrations_) {
    MigrationStatus s{migration.number, migration.name, false, ""};
    if (auto it = applied.find(migration.number); it != applied.end()) {
      s.applied = true;
      s.applied_at = it->second.applied_at;
    }
    result.push_back(s);
  }
  return result;
}

}  // namespace folio::store
