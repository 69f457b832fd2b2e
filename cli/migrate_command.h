#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio migrate up | down [N] | status`. Returns the process exit code.
int run_migrate_command(const CliContext& context);

}  // namespace folio::cli
