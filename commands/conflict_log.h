// The structured log line written for every version conflict: how often planners collide
// on which entities. It carries ids and versions only: never field values, emails,
// passwords or tokens.
#pragma once

#include <string>

#include "commands/outcome.h"

namespace folio::commands {

// The JSON object of the line, e.g. {"event":"version_conflict","entity_type":"project",
// "entity_id":"...","expected_version":3,"actual_version":5,"user_id":"...",
// "request_id":"..."}.
std::string conflict_log_line(const ConflictInfo& conflict, const std::string& user_id,
                              const std::string& request_id);

// Writes that line at info level to the spdlog logger "folio" (the default logger when
// none is registered). A conflict is an expected outcome, as a 404 or a 422 is: at warn
// level every 409 made the log writer wake and write at once (cli/logging.cpp), a thread
// hand-off per request when planners collide often.
void log_conflict(const ConflictInfo& conflict, const std::string& user_id,
                  const std::string& request_id);

}  // namespace folio::commands
