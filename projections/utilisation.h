// The resource utilisation view: per resource and day, the sum of capital_percentage +
// expense_percentage of the live resource assignments over all projects. Asynchronous:
// driven by the catch-up runner (job "resource_utilisation", tables of migration 0005), so
// it shows the log as of its checkpoint and may lag the read models a little.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/catch_up.h"

namespace folio::projections {

inline constexpr const char* kUtilisationJob = "resource_utilisation";

class UtilisationView final : public CatchUpView {
 public:
  // Throws std::runtime_error when an assignment event does not continue the view's copy
  // of its stream (the view's tables do not match its checkpoint).
  void apply(store::Transaction& tx, std::span<const events::RecordedEvent> events) override;
};

struct DayUtilisation {
  std::string date;  // YYYY-MM-DD
  std::int64_t allocated_percentage = 0;
  bool operator==(const DayUtilisation&) const = default;
};

// "YYYY-MM-DD" as a day, nullopt when it is not a valid calendar date.
std::optional<std::chrono::sys_days> parse_day(std::string_view text);
std::string format_day(std::chrono::sys_days day);

// One entry per day from `from` to `to` inclusive (none when from > to), as of the view's
// checkpoint; 0 on days without assignments.
std::vector<DayUtilisation> resource_utilisation(store::Transaction& tx,
                                                 const std::string& resource_id,
                                                 std::chrono::sys_days from,
                                                 std::chrono::sys_days to);

}  // namespace folio::projections
