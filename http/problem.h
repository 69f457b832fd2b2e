// problem+json (RFC 9457) responses, and the one table mapping command outcomes to HTTP.
#pragma once

#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <string>

#include "commands/outcome.h"

namespace folio::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

// The `type` of a problem: "/problems/<error>", except for a stale version (error
// "conflict"), which API.md names "/problems/version-conflict".
std::string problem_type(std::string_view error);

// A problem+json response with type "/problems/<error>" ("/problems/version-conflict" for
// error "conflict", as API.md has it), title, status, detail, error and any `extra` members
// (the body is built in `extra`'s storage).
Response problem(beast_http::status status, std::string_view error, std::string_view title,
                 std::string_view detail, boost::json::object extra = {});

// 503 unavailable with `detail` and Retry-After: when the client may try again.
Response unavailable(std::string_view detail, int retry_after_seconds = 5);

// 400 bad_request with `detail`.
Response bad_request(std::string_view detail);

// 404 not_found with `detail`.
Response not_found(std::string_view detail = "There is nothing at this address.");

// 422 listing every field problem.
Response validation_problem(const std::vector<commands::FieldError>& errors,
                            std::string_view detail = "The request has invalid fields.");

// The response for a failed outcome (any kind but ok).
Response outcome_problem(const commands::Outcome& outcome, const events::EntitySpec& spec);

// The 409 conflict body of API.md, also used for failed bulk items. `storage` as for
// entity_to_json.
boost::json::object conflict_body(const commands::ConflictInfo& conflict,
                                  const events::EntitySpec& spec,
                                  boost::json::storage_ptr storage = {});

// A JSON response with `status` and the body serialized.
Response json_response(beast_http::status status, const boost::json::value& body);

}  // namespace folio::http
