// Server timestamps as they appear in events and on the wire.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace folio::events {

// RFC 3339 UTC with millisecond precision: "2026-11-28T08:15:00.123Z".
std::string format_timestamp(std::chrono::system_clock::time_point t);
std::string format_timestamp(std::chrono::sys_time<std::chrono::milliseconds> t);

// Parses what an operator types for a point in time: "YYYY-MM-DD" (midnight UTC) or
// "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z" or an offset "+HH:MM" / "-HH:MM" (a space
// may replace the "T"). nullopt for anything else, including impossible dates.
// Milliseconds, so that years up to 9999 fit (nanosecond time points end in 2262).
std::optional<std::chrono::sys_time<std::chrono::milliseconds>> parse_timestamp(
    std::string_view text);

// The current server time, formatted as above.
std::string now_timestamp();

}  // namespace folio::events
