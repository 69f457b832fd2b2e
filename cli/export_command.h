#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio export`: events as decoded JSON lines, all or filtered by stream, entity type,
// position range and time range; streams in constant memory.
int run_export_command(const CliContext& context);

}  // namespace folio::cli
