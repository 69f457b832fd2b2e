#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// `folio schema read-models [--down]`: prints the read-model DDL generated from the entity
// catalog (the source of migrations/*/0002_read_models.*.sql).
int run_schema_command(const CliContext& context);

}  // namespace folio::cli
