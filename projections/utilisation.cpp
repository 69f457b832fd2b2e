#include "projections/utilisation.h"

#include <cstdio>
#include <map>
#include <stdexcept>

#include "projections/fold.h"

namespace folio::projections {

namespace {

using store::SqlValue;

constexpr const char* kSelectAssignment =
    "SELECT version, resource_id, assignment_date, capital_percentage, expense_percentage,"
    " deleted FROM utilisation_assignments WHERE id = $1";
constexpr const char* kUpsertAssignment =
    "INSERT INTO utilisation_assignments (id, version, resource_id, assignment_date,"
    " capital_percentage, expense_percentage, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " ON CONFLICT (id) DO UPDATE SET version = excluded.version,"
    " capital_percentage = excluded.capital_percentage,"
    " expense_percentage = excluded.expense_percentage, deleted = excluded.deleted";
constexpr const char* kAddToDay =
    "INSERT INTO resource_utilisation (resource_id, day, allocated_percentage)"
    " VALUES ($1, $2, $3) ON CONFLICT (resource_id, day) DO UPDATE SET allocated_percentage ="
    " resource_utilisation.allocated_percentage + excluded.allocated_percentage";
constexpr const char* kSelectDays =
    "SELECT day, allocated_percentage FROM resource_utilisation"
    " WHERE resource_id = $1 AND day >= $2 AND day <= $3 ORDER BY day";

// What the view keeps of one assignment: enough of its state for apply_event.
struct Assignment {
  EntityState state;
  std::int64_t allocated_before = 0;  // as of the view's checkpoint
};

std::int64_t allocated(const EntityState& state) {
  if (!state.exists()) return 0;
  return int_field(state.fields, "capital_percentage") +
         int_field(state.fields, "expense_percentage");
}

Assignment load(store::Transaction& tx, const std::string& id) {
  Assignment a;
  a.state.id = id;
  const SqlValue param{id};
  const auto rows = tx.query(kSelectAssignment, std::span(&param, 1));
  if (rows.empty()) return a;
  const auto& row = rows[0];
  a.state.version = std::get<std::int64_t>(row[0]);
  a.state.fields["resource_id"] = std::get<std::string>(row[1]);
  a.state.fields["assignment_date"] = std::get<std::string>(row[2]);
  a.state.fields["capital_percentage"] = std::get<std::int64_t>(row[3]);
  a.state.fields["expense_percentage"] = std::get<std::int64_t>(row[4]);
  a.state.deleted = std::get<std::int64_t>(row[5]) != 0;
  a.allocated_before = allocated(a.state);
  return a;
}

}  // namespace

void UtilisationView::apply(store::Transaction& tx, std::span<const events::RecordedEvent> events) {
  const auto& spec = events::entity("resource_assignment");
  std::map<std::string, Assignment> touched;
  for (const auto& event : events) {
    if (events::entity_type_of_stream(event.stream_id) != spec.type) continue;
    const std::string id = event.stream_id.substr(spec.type.size() + 1);
    auto it = touched.find(id);
    if (it == touched.end()) it = touched.emplace(id, load(tx, id)).first;
    EntityState& state = it->second.state;
    if (state.version != event.stream_version - 1) {
      throw std::runtime_error("utilisation view: event " + std::to_string(event.stream_version) +
                               " of " + event.stream_id + " follows version " +
                               std::to_string(state.version));
    }
    apply_event(spec, state, event);
  }
  for (const auto& [id, a] : touched) {
    const std::string resource = text_field(a.state.fields, "resource_id");
    const std::string day = text_field(a.state.fields, "assignment_date");
    const std::vector<SqlValue> row{id,
                                    a.state.version,
                                    resource,
                                    day,
                                    int_field(a.state.fields, "capital_percentage"),
                                    int_field(a.state.fields, "expense_percentage"),
                                    std::int64_t{a.state.deleted ? 1 : 0}};
    tx.execute(kUpsertAssignment, row);
    // resource_id and assignment_date are fixed after create: only the sum moves.
    const std::int64_t delta = allocated(a.state) - a.allocated_before;
    if (delta != 0) {
      const std::vector<SqlValue> add{resource, day, delta};
      tx.execute(kAddToDay, add);
    }
  }
}

std::optional<std::chrono::sys_days> parse_day(std::string_view text) {
  int y = 0, m = 0, d = 0;
  char rest = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  if (std::sscanf(std::string(text).c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &rest) != 3) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

std::string format_day(std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

std::vector<DayUtilisation> resource_utilisation(store::Transaction& tx,
                                                 const std::string& resource_id,
                                                 std::chrono::sys_days from,
                                                 std::chrono::sys_days to) {
  std::map<std::string, std::int64_t> stored;
  const std::vector<SqlValue> params{resource_id, format_day(from), format_day(to)};
  for (const auto& row : tx.query(kSelectDays, params)) {
    stored[std::get<std::string>(row[0])] = std::get<std::int64_t>(row[1]);
  }
  std::vector<DayUtilisation> days;
  for (auto day = from; day <= to; day += std::chrono::days(1)) {
    std::string date = format_day(day);
    const auto it = stored.find(date);
    days.push_back({std::move(date), it == stored.end() ? 0 : it->second});
  }
  return days;
}

}  // namespace folio::projections
