#include "http/problem.h"

#include "http/entity_json.h"
#include "http/json_arena.h"

namespace folio::http {

namespace json = boost::json;
using beast_http::status;

Response json_response(status code, const json::value& body) {
  Response response{code, 11};
  response.set(beast_http::field::content_type, "application/json");
  response.body() = json::serialize(body);
  response.prepare_payload();
  return response;
}

std::string problem_type(std::string_view error) {
  if (error == "conflict") return "/problems/version-conflict";
  return "/problems/" + std::string(error);
}

Response problem(status code, std::string_view error, std::string_view title,
                 std::string_view detail, json::object extra) {
  json::object body(extra.storage());
  body.reserve(5 + extra.size());
  body["type"] = problem_type(error);
  body["title"] = title;
  body["status"] = static_cast<int>(code);
  body["detail"] = detail;
  body["error"] = error;
  for (auto& member : extra) body[member.key()] = std::move(member.value());
  Response response = json_response(code, std::move(body));
  response.set(beast_http::field::content_type, "application/problem+json");
  return response;
}

Response unavailable(std::string_view detail, int retry_after_seconds) {
  Response response = problem(status::service_unavailable, "unavailable", "Unavailable", detail);
  response.set(beast_http::field::retry_after, std::to_string(retry_after_seconds));
  return response;
}

Response validation_problem(const std::vector<commands::FieldError>& errors,
                            std::string_view detail) {
  json::array list;
  for (const auto& e : errors)
    list.push_back(json::object{{"field", e.field}, {"message", e.message}});
  return problem(status::unprocessable_entity, "validation", "Invalid request", detail,
                 json::object{{"errors", std::move(list)}});
}

json::object conflict_body(const commands::ConflictInfo& c, const events::EntitySpec& spec,
                           json::storage_ptr storage) {
  json::object attempted(storage);
  for (const auto& [name, value] : c.attempted_changes)
    attempted[name] = field_value_to_json(value, storage);
  json::array since(storage);
  since.reserve(c.changes_since.size());
  for (const auto& entry : c.changes_since) since.push_back(history_entry_to_json(entry, storage));
  return json::object(
      {
          {"entity_type", c.entity_type},
          {"entity_id", c.entity_id},
          {"expected_version", c.expected_version},
          {"current_version", c.current_version},
          {"current_state", c.current_state
                                ? json::value(entity_to_json(spec, *c.current_state, storage))
                                : json::value(nullptr)},
          {"attempted_changes", std::move(attempted)},
          {"changes_since", std::move(since)},
      },
      storage);
}

Response outcome_problem(const commands::Outcome& outcome, const events::EntitySpec& spec) {
  using Kind = commands::Outcome::Kind;
  switch (outcome.kind) {
    case Kind::validation:
      return validation_problem(outcome.errors);
    case Kind::conflict: {
      const std::string what(spec.type == "project_phase" ? "project phase" : spec.type);
      const std::string detail = outcome.conflict.current_state
                                     ? "This " + what +
                                           " was changed by someone else after you loaded it. Your "
                                           "changes were not saved. Review the current values and "
                                           "apply your changes again."
                                     : "This " + what +
                                           " was deleted by someone else after you loaded it. Your "
                                           "changes were not saved.";
      JsonArena arena;
      return problem(status::conflict, "conflict", "Version conflict", detail,
                     conflict_body(outcome.conflict, spec, arena.storage()));
    }
    case Kind::constraint: {
      const auto& c = outcome.constraint;
      return problem(
          status::conflict, "constraint", "Rule violated", c.message,
          json::object{
              {"rule", c.rule},
              {"other_entity_type", c.other_entity_type.empty() ? json::value(nullptr)
                                                                : json::value(c.other_entity_type)},
              {"other_entity_id",
               c.other_entity_id.empty() ? json::value(nullptr) : json::value(c.other_entity_id)}});
    }
    case Kind::not_found:
      return not_found(outcome.message);
    case Kind::forbidden:
      return problem(status::forbidden, "forbidden", "Forbidden", outcome.message);
    case Kind::ok:
      break;
  }
  return problem(status::internal_server_error, "internal", "Internal error",
                 "An unexpected error occurred.");
}

Response bad_request(std::string_view detail) {
  return problem(beast_http::status::bad_request, "bad_request", "Bad request", detail);
}

Response not_found(std::string_view detail) {
  return problem(beast_http::status::not_found, "not_found", "Not found", detail);
}

}  // namespace folio::http
