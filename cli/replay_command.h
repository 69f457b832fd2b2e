#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio replay <entity_type> <id>`: an entity's events in order with who, when, the
// field changes and the state after each (--to-version, --as-of, --json); without an id,
// the whole collection as of a time.
int run_replay_command(const CliContext& context);

}  // namespace folio::cli
