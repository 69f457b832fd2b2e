#pragma once

#include <memory>

#include "store/migrator.h"
#include "store/sqlite/sqlite_connection.h"

namespace folio::store::sqlite {

class SqliteMigrationTarget final : public MigrationTarget {
 public:
  explicit SqliteMigrationTarget(const std::string& path) : db_(path) {}
  std::string dialect() const override { return "sqlite"; }
  std::vector<MigrationStatus> applied() override;
  void apply(const Migration& migration, bool up) override;

 private:
  SqliteConnection db_;
};

}  // namespace folio::store::sqlite
