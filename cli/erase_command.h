// `folio erase user|worker <id> --reason TEXT`: erases a data subject's personal values for
// good (CommandHandler::erase; what POST .../{id}/erasure does), as the system.
#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// Exit status: 0 erased (or erased already), 1 no such entity, 2 bad usage, 3 database error.
int run_erase_command(const CliContext& context);

}  // namespace folio::cli
