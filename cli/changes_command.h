#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio changes`: who changed what across every entity, in the global order, with the
// field-level changes (--since, --until, --user, --entity-type, --after, --json); what GET
// /api/v1/changes pages through.
int run_changes_command(const CliContext& context);

}  // namespace folio::cli
