#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio backup DESTINATION`: a consistent copy of a live SQLite database
// (store/sqlite/sqlite_backup.h); for PostgreSQL it names the pg_dump command instead.
int run_backup_command(const CliContext& context);

}  // namespace folio::cli
