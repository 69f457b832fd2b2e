// The migration SQL files compiled into the binary (see cmake/EmbedMigrations.cmake).
#pragma once

#include <string>
#include <vector>

namespace folio::store::detail {

struct EmbeddedFile {
  std::string dialect_folder;  // "sqlite" or "postgres"
  std::string file_name;       // "0001_event_store.up.sql"
  std::string contents;
};

const std::vector<EmbeddedFile>& embedded_migration_files();

}  // namespace folio::store::detail
