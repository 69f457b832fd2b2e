// `folio lineage <entity_type> <id> <field>`: every value one field held, with the event
// that set it (projections/lineage.h); what GET .../{id}/lineage?field= answers.
#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// Exit status: 0 printed, 1 no such entity, 2 bad usage, 3 database error.
int run_lineage_command(const CliContext& context);

}  // namespace folio::cli
