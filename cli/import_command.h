#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio import <file.jsonl>`: adopts existing rows of the 13 entity types as new streams at
// version 1, through the same validation and rules as the API. Checks every line before
// writing anything; re-importing the same file changes nothing.
int run_import_command(const CliContext& context);

}  // namespace folio::cli
