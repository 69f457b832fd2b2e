// `folio verify`: checks the event log's hash chains and seals (tamper evidence), or with
// --projections the read models against a fold of every stream.
#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// Exit status: 0 intact, 1 tampering or drift found, 2 bad usage, 3 database error.
int run_verify_command(const CliContext& context);

}  // namespace folio::cli
