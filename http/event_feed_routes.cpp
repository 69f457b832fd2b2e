#include "http/event_feed_routes.h"

#include <boost/algorithm/string/predicate.hpp>

#include "commands/validation.h"
#include "events/entity_catalog.h"
#include "events/timestamp.h"
#include "http/entity_json.h"
#include "http/event_json.h"

namespace folio::http {

namespace {

constexpr std::size_t kDefaultFeedLimit = 100;
constexpr std::size_t kMaxFeedLimit = 1000;

// A position as a client gives it: 0 or a version-like positive integer.
std::optional<std::int64_t> parse_position(std::string_view text) {
  if (text == "0") return 0;
  return parse_version_text(text);
}

// "project,project_phase" into known entity types; nullopt, with `error`, for another name.
std::optional<std::vector<std::string>> parse_entity_types(std::string_view text, Response& error) {
  std::vector<std::string> types;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    if (events::find_entity_by_type(name) == nullptr) {
      error = bad_request("entity_type" + quoted_input(name) +
                          " is not an entity type (project, project_phase, ...).");
      return std::nullopt;
    }
    types.emplace_back(name);
    if (comma == std::string_view::npos) return types;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

std::optional<commands::FeedQuery> parse_feed_query(const Target& target, const Request& request,
                                                    Response& error) {
  commands::FeedQuery query;
  query.limit = kDefaultFeedLimit;
  for (const auto& [key, value] : target.query) {
    if (key == "after") {
      const auto after = parse_position(value);
      if (!after) {
        error = bad_request("after must be 0 or a position (a positive integer).");
        return std::nullopt;
      }
      query.after = *after;
    } else if (key == "limit") {
      const auto limit = parse_version_text(value);
      if (!limit || *limit > static_cast<std::int64_t>(kMaxFeedLimit)) {
        error = bad_request("limit must be an integer from 1 to 1000.");
        return std::nullopt;
      }
      query.limit = static_cast<std::size_t>(*limit);
    } else if (key == "since" || key == "until") {
      const auto time = events::parse_timestamp(value);
      if (!time) {
        error = bad_request(key + " must be a time: YYYY-MM-DD or an RFC 3339 timestamp.");
        return std::nullopt;
      }
      (key == "since" ? query.since : query.until) = events::format_timestamp(*time);
    } else if (key == "user_id") {
      if (!commands::is_uuid(value)) {
        error = bad_request("user_id must be a UUID.");
        return std::nullopt;
      }
      query.user_id = value;
    } else if (key == "entity_type") {
      auto types = parse_entity_types(value, error);
      if (!types) return std::nullopt;
      query.entity_types = std::move(*types);
    } else {
      error = bad_request("Unknown query parameter" + quoted_input(key) + ".");
      return std::nullopt;
    }
  }
  if (const auto last = request["Last-Event-ID"]; !last.empty()) {
    const auto after = parse_position(last);
    if (!after) {
      error = bad_request("Last-Event-ID must be a position this server sent.");
      return std::nullopt;
    }
    query.after = *after;
  }
  return query;
}

bool wants_event_stream(const Request& request) {
  return boost::algorithm::icontains(request[beast_http::field::accept], "text/event-stream");
}

namespace {

// A page of the feed with its items made by `to_json`: {"items","next_after","more"}.
template <class Item, class ToJson>
Response feed_page_response(const std::vector<Item>& items, std::int64_t next_after, bool more,
                            ToJson to_json) {
  boost::json::array array;
  array.reserve(items.size());
  for (const auto& item : items) array.push_back(to_json(item));
  return json_response(
      beast_http::status::ok,
      boost::json::object{{"items", std::move(array)}, {"next_after", next_after}, {"more", more}});
}

}  // namespace

Response event_feed_page(store::EventStore& store, const commands::Actor& actor,
                         const commands::FeedQuery& query) {
  const commands::FeedPage page = commands::read_feed(store, actor, query);
  return feed_page_response(page.events, page.next_after, page.more, event_to_json);
}

Response changes_page(store::EventStore& store, const commands::Actor& actor,
                      const commands::FeedQuery& query) {
  const commands::ChangesPage page = commands::read_changes(store, actor, query);
  return feed_page_response(page.changes, page.next_after, page.more, change_to_json);
}

Response event_stream_head() {
  Response r{beast_http::status::ok, 11};
  r.set(beast_http::field::content_type, "text/event-stream; charset=utf-8");
  r.set(beast_http::field::cache_control, "no-store");
  r.set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  r.keep_alive(false);               // the body ends when the connection does
  return r;
}

}  // namespace folio::http
