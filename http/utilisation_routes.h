// The resource utilisation view over HTTP (projections/utilisation.h: asynchronous, it may
// lag the latest writes briefly): allocated and available percentage per resource and day.
#pragma once

#include <string>

#include "commands/queries.h"
#include "http/problem.h"
#include "http/request_parsing.h"

namespace folio::http {

// GET /api/v1/resources/{id}/utilisation?from=YYYY-MM-DD&to=YYYY-MM-DD: one entry per day
// of the inclusive range (at most 366 days); 404 as GET of the resource would be.
Response resource_utilisation(store::EventStore& store, commands::EntityQueries& queries,
                              const commands::Actor& actor, const Target& target,
                              const std::string& id);

// GET /api/v1/resources/utilisation?resource_id=A,B,...&from=&to=: the same for up to 200
// resources in one request (a calendar's rows): {"from","to","resources":[{"resource_id",
// "days"}]} in the order asked, leaving out ids that do not exist or the caller may not read.
Response resources_utilisation(store::EventStore& store, commands::EntityQueries& queries,
                               const commands::Actor& actor, const Target& target);

}  // namespace folio::http
