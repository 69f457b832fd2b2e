// POST /api/v1/resource-assignments/bulk-update (API.md "Bulk update of resource
// assignments"): the body is read here, the items are written by one call into the command
// layer, each in its own unit of work.
#pragma once

#include "commands/command_handler.h"
#include "http/metrics.h"
#include "http/problem.h"

namespace folio::http {

// 200 with {"succeeded","failed"}; 4xx with nothing written only when the body itself is
// malformed (not an array, more than 1000 items, an item without id or version).
Response bulk_update_assignments(const Request& request, commands::CommandHandler& commands,
                                 Metrics& metrics, const commands::CommandContext& context);

}  // namespace folio::http
