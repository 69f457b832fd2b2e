// The router: a plain function from a parsed request to a response. It does no socket
// I/O, so every route is unit-testable without a server; store work happens inside it, on
// the worker thread that calls it.
#pragma once

#include <functional>
#include <string>

#include "commands/command_handler.h"
#include "commands/queries.h"
#include "http/auth.h"
#include "http/event_feed_routes.h"
#include "http/problem.h"

namespace folio::http {

class IdempotencyKeys;
class Metrics;

struct Services {
  store::EventStore& store;
  commands::CommandHandler& commands;
  commands::EntityQueries& queries;
  AuthService& auth;
  Metrics& metrics;
  std::string openapi_json;  // served at /api/v1/openapi.json
  std::string web_root;      // the web console's files, served at / (static_files.h)
  // Idempotency-Key on writes (idempotency.h); null: the header is ignored.
  IdempotencyKeys* idempotency = nullptr;
};

// Filled in by the router for the access log and the metrics.
struct RouteInfo {
  std::string route = "unmatched";  // a template such as "/api/v1/projects/{id}"
  std::string user_id;
  // Set when the response is the head of a live event stream: the server writes the head,
  // then hands the connection to its EventStreamHub with this (event_stream.h).
  std::optional<EventStreamRequest> event_stream;
};

// True for requests that are slow on purpose: logins and writes to users (Argon2id password
// hashing, tens of milliseconds of CPU). The server runs them on its bounded pool.
bool is_slow_request(const Request& request);

// Answers one request. `request_id` is echoed in X-Request-Id by the caller; `client_address`
// is the peer's IP address (the login limits count per address). Never throws for anything
// a client sends; store failures become 503, bugs 500 (without internals).
Response handle_request(const Request& request, const std::string& request_id,
                        const std::string& client_address, Services& services, RouteInfo& info);

// What an event loop offers the requests it answers without waiting for the store.
struct LoopServices {
  store::StatementPipe* pipe = nullptr;  // PostgreSQL: the loop's (loop_statement_pipe.h)
  bool writes = true;                    // updates may go without waiting, too
  // Runs work on the loop's thread later; callable from any thread.
  std::function<void(std::function<void()>)> post;
  // Starts work now on a thread that may wait for the store (an idle thread of the
  // server's pool); false when none is idle. Empty: the loop's own thread does such work.
  std::function<bool(std::function<void()>)> run_blocking;
};

// Starts answering `request` without the loop waiting for the store, when it is
// - a GET of one entity with a bearer token, through loop.pipe;
// - (with loop.writes) a PUT/PATCH of one entity: through loop.pipe when it can be decided
//   without more reads (CommandHandler::update_through_pipe), else as a unit of work of the
//   store's own thread where the store has one (SQLite: CommandHandler::update_async).
// `answer` runs later with the response, on the loop's thread (the response handle_request
// would give; when the fast way fails, handle_request's own). `request` must live until
// then. False, and nothing done, for every other request: answer those with handle_request.
using PipeAnswer = std::function<void(Response, const RouteInfo&)>;
bool handle_request_without_blocking(const Request& request, const std::string& request_id,
                                     const std::string& client_address, Services& services,
                                     const LoopServices& loop, PipeAnswer answer);

}  // namespace folio::http
