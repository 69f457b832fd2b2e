#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio rebuild [--entity TYPE]... [--batch-size N]`: rebuilds read models from the event
// log beside a running server (projections/rebuild.h), resumable after a kill.
int run_rebuild_command(const CliContext& context);

}  // namespace folio::cli
