// GET /api/v1/events (docs/api.md "Event feed"): the log in its global order as pages of
// JSON, or, with Accept: text/event-stream, the request to follow it live (event_stream.h);
// GET /api/v1/changes (docs/api.md "Audit queries"): the same events with field-level
// changes.
#pragma once

#include <optional>

#include "commands/event_feed.h"
#include "http/problem.h"
#include "http/request_parsing.h"

namespace folio::http {

// A live stream of the feed that the router accepted: the server hands the connection to
// its EventStreamHub after the response head.
struct EventStreamRequest {
  commands::Actor actor;  // as the stream opened; the hub checks `token` again at each step
  commands::TokenCheck token;
  commands::FeedQuery query;
};

// The query of a feed request: ?after= (0 or a position; Last-Event-ID, when sent, wins:
// it is what a reconnecting EventSource sends), ?limit= (1..1000, default 100),
// ?entity_type= (types, comma-separated), ?since= and ?until= (times, both included, as
// `folio export` has them) and ?user_id=. nullopt, with `error` the 400, when malformed.
std::optional<commands::FeedQuery> parse_feed_query(const Target& target, const Request& request,
                                                    Response& error);

// True when the client asks for Server-Sent Events (Accept names text/event-stream).
bool wants_event_stream(const Request& request);

// 200 {"items":[event...],"next_after":N,"more":bool} (event_json.h for the items).
Response event_feed_page(store::EventStore& store, const commands::Actor& actor,
                         const commands::FeedQuery& query);

// GET /api/v1/changes: 200 {"items":[{"position","entity_type","entity_id","version",
// "event_type","recorded_at","user_id","request_id","changes":{field:{"from","to"}}}],
// "next_after":N,"more":bool}: the feed's events with their field-level changes.
Response changes_page(store::EventStore& store, const commands::Actor& actor,
                      const commands::FeedQuery& query);

// The head of a live stream's response (its body follows as the events come).
Response event_stream_head();

}  // namespace folio::http
