// Commands that read or write the schema's tables need every migration applied; `folio
// serve` applies them itself, the operator commands ask for `folio migrate up`.
#pragma once

#include <string>

#include "cli/cli_context.h"

namespace folio::cli {

// True when no migration is pending; otherwise says so on context.err as "folio <command>:
// ..." and returns false (exit with kExitUsage).
bool schema_is_current(const CliContext& context, const std::string& command);

}  // namespace folio::cli
