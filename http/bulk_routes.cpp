#include "http/bulk_routes.h"

#include "commands/validation.h"
#include "events/entity_catalog.h"
#include "http/entity_json.h"
#include "http/request_parsing.h"

namespace folio::http {

namespace {

namespace json = boost::json;
using beast_http::status;
using commands::Outcome;

constexpr std::size_t kMaxBulkItems = 1000;

// The items of the body; nullopt with `error` set when the body as a whole is malformed.
// A problem inside one item (a wrong type, a version that is not a positive integer) is
// kept on that item: it fails alone.
std::optional<std::vector<commands::BulkAssignmentItem>> read_items(const Request& request,
                                                                    Response& error) {
  const auto body = parse_json_body(request, error);
  if (!body) return std::nullopt;
  if (!body->is_array()) {
    error = bad_request("The body must be a JSON array of items.");
    return std::nullopt;
  }
  const json::array& array = body->get_array();
  if (array.size() > kMaxBulkItems) {
    error = validation_problem({{"", "at most 1000 items per request"}});
    return std::nullopt;
  }
  std::vector<commands::BulkAssignmentItem> items;
  items.reserve(array.size());
  std::vector<commands::FieldError> malformed;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string where = "[" + std::to_string(i) + "]";
    if (!array[i].is_object()) {
      malformed.push_back({where, "must be an object"});
      continue;
    }
    const json::object& o = array[i].get_object();
    const auto* id = o.if_contains("id");
    const auto* version = o.if_contains("version");
    if (!id || !id->is_string())
      malformed.push_back({where + ".id", "is required (a UUID string)"});
    if (!version) malformed.push_back({where + ".version", "is required"});
    if (!malformed.empty()) continue;
    commands::BulkAssignmentItem item{std::string(id->get_string()), std::nullopt, {}, {}};
    if (version->is_int64() && version->get_int64() > 0) {
      item.version = version->get_int64();
    } else {
      item.shape_errors.push_back({"version", "must be a positive integer below 2^63"});
    }
    item.fields = json_to_fields(o, {"id", "version"}, item.shape_errors);
    items.push_back(std::move(item));
  }
  if (!malformed.empty()) {
    error = validation_problem(malformed, "The bulk request is malformed; nothing was written.");
    return std::nullopt;
  }
  return items;
}

// The one-line reason a failed item gives in "message".
std::string message_of(const Outcome& outcome) {
  switch (outcome.kind) {
    case Outcome::Kind::validation: {
      std::string message = outcome.message;
      for (const auto& e : outcome.errors)
        message += (message.empty() ? "" : "; ") + e.field + " " + e.message;
      return message;
    }
    case Outcome::Kind::constraint:
      return outcome.constraint.message;
    case Outcome::Kind::conflict:
      return "changed by someone else: version " +
             std::to_string(outcome.conflict.current_version) + ", you sent " +
             std::to_string(outcome.conflict.expected_version);
    default:
      return outcome.message;
  }
}

json::object failed_entry(const commands::BulkResult::Failed& f) {
  const auto& spec = events::entity("resource_assignment");
  json::object entry{
      {"id", f.id},
      {"error", commands::error_code(f.outcome.kind)},
      {"message", message_of(f.outcome)},
      {"current_state", f.current_state ? json::value(entity_to_json(spec, *f.current_state))
                                        : json::value(nullptr)}};
  if (f.outcome.kind == Outcome::Kind::validation) {
    json::array errors;
    for (const auto& e : f.outcome.errors)
      errors.push_back(json::object{{"field", e.field}, {"message", e.message}});
    entry["errors"] = std::move(errors);
  }
  return entry;
}

}  // namespace

Response bulk_update_assignments(const Request& request, commands::CommandHandler& commands,
                                 Metrics& metrics, const commands::CommandContext& context) {
  Response error;
  const auto items = read_items(request, error);
  if (!items) return error;
  const commands::BulkResult result = commands.bulk_update_assignments(context, *items);
  json::array succeeded, failed;
  for (const auto& s : result.succeeded) {
    succeeded.push_back(json::object{{"id", s.id}, {"version", s.version}});
  }
  for (const auto& f : result.failed) {
    if (f.outcome.kind == Outcome::Kind::conflict) metrics.record_conflict("resource_assignment");
    failed.push_back(failed_entry(f));
  }
  return json_response(
      status::ok, json::object{{"succeeded", std::move(succeeded)}, {"failed", std::move(failed)}});
}

}  // namespace folio::http
