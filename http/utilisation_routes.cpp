#include "http/utilisation_routes.h"

#include "commands/validation.h"
#include "events/entity_catalog.h"
#include "projections/utilisation.h"

namespace folio::http {

namespace {

namespace json = boost::json;
using beast_http::status;

constexpr int kMaxDays = 366;
constexpr std::size_t kMaxResources = 200;

struct DayRange {
  std::chrono::sys_days from, to;
};

// ?from= and ?to= (and `also`, if given); nullopt with `error` the 400/422 otherwise.
std::optional<DayRange> parse_range(const Target& target, std::string_view also, Response& error) {
  for (const auto& [key, value] : target.query) {
    if (key != "from" && key != "to" && key != also) {
      error = bad_request("Unknown query parameter" + quoted_input(key) + ".");
      return std::nullopt;
    }
  }
  std::vector<commands::FieldError> errors;
  std::optional<std::chrono::sys_days> day[2];
  const char* names[2] = {"from", "to"};
  for (int i = 0; i < 2; ++i) {
    const auto it = target.query.find(names[i]);
    if (it == target.query.end()) {
      errors.push_back({names[i], "is required (YYYY-MM-DD)"});
    } else if (!(day[i] = projections::parse_day(it->second))) {
      errors.push_back({names[i], "must be a date, YYYY-MM-DD"});
    }
  }
  if (day[0] && day[1] && *day[0] > *day[1]) {
    errors.push_back({"to", "must not be before from"});
  } else if (day[0] && day[1] && (*day[1] - *day[0]).count() + 1 > kMaxDays) {
    errors.push_back({"to", "the range may cover at most 366 days"});
  }
  if (!errors.empty()) {
    error = validation_problem(errors);
    return std::nullopt;
  }
  return DayRange{*day[0], *day[1]};
}

json::array days_json(const std::vector<projections::DayUtilisation>& days) {
  json::array items;
  items.reserve(days.size());
  for (const auto& d : days) {
    items.push_back(json::object{{"date", d.date},
                                 {"allocated_percentage", d.allocated_percentage},
                                 {"available_percentage", 100 - d.allocated_percentage}});
  }
  return items;
}

// The view's days of each of `ids`, read in one unit of work.
std::vector<json::array> utilisation_of(store::EventStore& store,
                                        const std::vector<std::string>& ids,
                                        const DayRange& range) {
  std::vector<json::array> result;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    result.clear();
    for (const auto& id : ids) {
      result.push_back(days_json(projections::resource_utilisation(tx, id, range.from, range.to)));
    }
    return store::Verdict::commit;
  });
  return result;
}

}  // namespace

Response resource_utilisation(store::EventStore& store, commands::EntityQueries& queries,
                              const commands::Actor& actor, const Target& target,
                              const std::string& id) {
  Response error;
  const auto range = parse_range(target, "", error);
  if (!range) return error;
  // Readable by whoever may read the resource; 404 like GET of it otherwise.
  const events::EntitySpec& resources = events::entity("resource");
  const commands::Outcome resource = queries.get(actor, resources, id);
  if (!resource.ok()) return outcome_problem(resource, resources);
  auto days = utilisation_of(store, {id}, *range);
  return json_response(status::ok, json::object{{"resource_id", id},
                                                {"from", projections::format_day(range->from)},
                                                {"to", projections::format_day(range->to)},
                                                {"days", std::move(days.front())}});
}

Response resources_utilisation(store::EventStore& store, commands::EntityQueries& queries,
                               const commands::Actor& actor, const Target& target) {
  Response error;
  const auto range = parse_range(target, "resource_id", error);
  if (!range) return error;
  const auto listed = target.query.find("resource_id");
  if (listed == target.query.end() || listed->second.empty()) {
    return validation_problem({{"resource_id", "is required: resource ids, comma-separated"}});
  }
  std::vector<std::string> ids;
  std::string_view rest = listed->second;
  while (true) {
    const auto comma = rest.find(',');
    const std::string id(rest.substr(0, comma));
    if (!commands::is_uuid(id))
      return bad_request("resource_id" + quoted_input(id) + " is not an id.");
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (ids.size() > kMaxResources) {
    return validation_problem({{"resource_id", "at most 200 resources per request"}});
  }
  const events::EntitySpec& resources = events::entity("resource");
  std::erase_if(ids,
                [&](const std::string& id) { return !queries.get(actor, resources, id).ok(); });
  auto days = utilisation_of(store, ids, *range);
  json::array items;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    items.push_back(json::object{{"resource_id", ids[i]}, {"days", std::move(days[i])}});
  }
  return json_response(status::ok, json::object{{"from", projections::format_day(range->from)},
                                                {"to", projections::format_day(range->to)},
                                                {"resources", std::move(items)}});
}

}  // namespace folio::http
