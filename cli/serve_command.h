#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio serve [--listen HOST:PORT] [--workers N] [--no-migrate]`: the HTTP API.
int run_serve_command(const CliContext& context);

// `folio user create-admin --username NAME [--email EMAIL]` (password from
// FOLIO_ADMIN_PASSWORD or the first line of standard input).
int run_user_command(const CliContext& context);

}  // namespace folio::cli
