#pragma once

#include <memory>
#include <pqxx/connection>

#include "store/migrator.h"

namespace folio::store::postgres {

// Runs migrations on PostgreSQL. Concurrent migrators (several servers starting at once)
// serialize on an advisory lock and re-check the record under it.
class PgMigrationTarget final : public MigrationTarget {
 public:
  explicit PgMigrationTarget(const std::string& url);
  std::string dialect() const override { return "postgresql"; }
  std::vector<MigrationStatus> applied() override;
  void apply(const Migration& migration, bool up) override;

 private:
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace folio::store::postgres
