// Parsing the parts of a request a client controls: target, query, versions, bodies. Each
// returns nullopt (or an error message) for anything malformed, never throws.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/problem.h"

namespace folio::http {

struct Target {
  std::vector<std::string> segments;         // path split at '/', empty ones dropped
  std::map<std::string, std::string> query;  // percent-decoded; later duplicates win
  bool malformed = false;                    // bad percent-encoding
};
Target parse_target(std::string_view target);

// The request's X-Request-Id if it is short and plain (letters, digits, - _ .; at most 64),
// else a new id.
std::string request_id_for(const Request& request);

// A piece of the request quoted in an error detail: " 'text'" when it is short, valid UTF-8
// without control characters (a detail must stay valid JSON text), else nothing.
std::string quoted_input(std::string_view text);

// A version as API.md allows it: a positive integer below 2^63, digits only.
std::optional<std::int64_t> parse_version_text(std::string_view text);

// If-Match: "N", W/"N" or N. nullopt if malformed.
std::optional<std::int64_t> parse_if_match(std::string_view header);

// The JSON body of a request that must carry one. On failure, `error` is the 400/413/415
// response to send.
std::optional<boost::json::value> parse_json_body(const Request& request, Response& error);

// True when a Prefer header (RFC 7240) asks for merge=disjoint (docs/api.md "Merging
// disjoint edits").
bool prefers_merge(const Request& request);

// Maximum nesting of arrays and objects accepted in a body.
constexpr std::size_t kMaxJsonDepth = 32;

}  // namespace folio::http
