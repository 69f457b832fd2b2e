#include "cli/schema_check.h"

#include <ostream>

#include "store/migrator.h"

namespace folio::cli {

bool schema_is_current(const CliContext& context, const std::string& command) {
  auto target = store::open_migration_target(context.database_url);
  for (const auto& m : store::Migrator(*target).status()) {
    if (!m.applied) {
      context.err << "folio " << command << ": the schema is not current (migration " << m.number
                  << " is pending); run `folio migrate up` first\n";
      return false;
    }
  }
  return true;
}

}  // namespace folio::cli
