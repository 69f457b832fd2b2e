// Server timestamps as they appear in events and on the wire.
#pragma once

#include <chrono>
#include <string>

namespace folio::events {

// RFC 3339 UTC with millisecond precision: "2026-11-28T08:15:00.123Z".
std::string format_timestamp(std::chrono::system_clock::time_point t);

// The current server time, formatted as above.
std::string now_timestamp();

}  // namespace folio::events
