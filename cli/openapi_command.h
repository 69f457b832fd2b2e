#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio openapi`: prints the OpenAPI 3.1 document the server serves.
int run_openapi_command(const CliContext& context);

}  // namespace folio::cli
