#include "commands/conflict_log.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

namespace folio::commands {

std::string conflict_log_line(const ConflictInfo& conflict, const std::string& user_id,
                              const std::string& request_id) {
  const boost::json::object line{
      {"event", "version_conflict"},
      {"entity_type", conflict.entity_type},
      {"entity_id", conflict.entity_id},
      {"expected_version", conflict.expected_version},
      {"actual_version", conflict.current_version},
      {"user_id", user_id},
      {"request_id", request_id},
  };
  return boost::json::serialize(line);
}

void log_conflict(const ConflictInfo& conflict, const std::string& user_id,
                  const std::string& request_id) {
  auto logger = spdlog::get("folio");
  if (!logger) logger = spdlog::default_logger();
  logger->info(conflict_log_line(conflict, user_id, request_id));
}

}  // namespace folio::commands
