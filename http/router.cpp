#include "http/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "commands/validation.h"
#include "events/timestamp.h"
#include "http/bulk_routes.h"
#include "http/entity_json.h"
#include "http/idempotency.h"
#include "http/json_arena.h"
#include "http/metrics.h"
#include "http/request_parsing.h"
#include "http/static_files.h"
#include "http/utilisation_routes.h"
#include "projections/lineage.h"
#include "store/store_error.h"

namespace folio::http {

namespace {

namespace json = boost::json;
using beast_http::status;
using beast_http::verb;
using commands::Outcome;
using events::EntitySpec;

constexpr std::size_t kDefaultLimit = 50;
constexpr std::size_t kMaxLimit = 500;

struct Call {
  const Request& request;
  verb method;  // HEAD is routed as GET (RFC 9110 9.3.2); the body is dropped at the end
  const Target& target;
  Services& services;
  RouteInfo& info;
  commands::Actor actor;
  std::string request_id;
  std::string client_address;
  // The Idempotency-Key is this request's to run, and `actor` is set (idempotent()).
  bool key_claimed = false;
};

Response method_not_allowed(std::string_view allow) {
  Response r = problem(status::method_not_allowed, "method_not_allowed", "Method not allowed",
                       "This address allows " + std::string(allow) + ".");
  r.set(beast_http::field::allow, allow);
  return r;
}

Response unauthenticated() {
  Response r = problem(status::unauthorized, "unauthenticated", "Unauthenticated",
                       "Send a valid bearer token: POST /api/v1/auth/token.");
  r.set(beast_http::field::www_authenticate, "Bearer");
  return r;
}

Response entity_response(status code, const EntitySpec& spec, const commands::EntityState& state) {
  JsonArena arena;
  Response r = json_response(code, entity_to_json(spec, state, arena.storage()));
  r.set(beast_http::field::etag, "\"" + std::to_string(state.version) + "\"");
  return r;
}

commands::CommandContext context_of(const Call& call) {
  return {call.actor, call.request_id, std::string(call.request["Idempotency-Key"])};
}

// The version of an update or delete, from the body, If-Match or ?version=.
std::optional<std::int64_t> version_from(const Call& call, const json::object* body,
                                         std::vector<commands::FieldError>& errors) {
  std::optional<std::int64_t> from_body, from_header;
  if (body) {
    if (const auto* v = body->if_contains("version")) {
      if (v->is_int64() && v->get_int64() > 0) {
        from_body = v->get_int64();
      } else {
        errors.push_back({"version", "must be a positive integer below 2^63"});
      }
    }
  } else if (const auto it = call.target.query.find("version"); it != call.target.query.end()) {
    from_body = parse_version_text(it->second);
    if (!from_body) errors.push_back({"version", "must be a positive integer below 2^63"});
  }
  const auto if_match = call.request[beast_http::field::if_match];
  if (!if_match.empty()) {
    from_header = parse_if_match(if_match);
    if (!from_header) errors.push_back({"If-Match", "must be a quoted positive integer, \"N\""});
  }
  if (from_body && from_header && *from_body != *from_header) {
    errors.push_back({"version", "the body and If-Match disagree"});
  }
  return from_body ? from_body : from_header;
}

// A request routed before its caller was authenticated (entity_fast_path): the bearer
// token, checked by the command in the statement that loads the entity, and the route to
// log once it is.
struct PendingToken {
  commands::TokenCheck token;
  std::string route;
};

void adopt(Call& call, commands::Actor actor, std::string route) {
  call.actor = std::move(actor);
  call.info.user_id = call.actor.user_id;
  call.info.route = std::move(route);
}

// An answer given without running the command (a malformed request): with a pending
// token, only after a check of the token of its own, so that 401 always comes first.
Response refused(Call& call, const PendingToken* pending, Response response) {
  if (!pending) return response;
  auto actor = call.services.auth.authenticate(call.request[beast_http::field::authorization]);
  if (!actor) return unauthenticated();
  adopt(call, std::move(*actor), pending->route);
  return response;
}

// A write whose request is malformed (`error`, a 400 or 422): with a pending token, only
// after a check of the token; a 422 only when no 404 or 403 comes before it (API.md's order
// of checks). `id` is empty for a create.
Response refused_request(Call& call, const PendingToken* pending, Response error,
                         const EntitySpec& spec, const std::string& id, bool create_or_delete) {
  error = refused(call, pending, std::move(error));
  if (error.result() != status::unprocessable_entity) return error;
  if (auto first = call.services.commands.refusal_before_validation(call.actor, spec, id,
                                                                    create_or_delete)) {
    return outcome_problem(*first, spec);
  }
  return error;
}

// Runs a command as the authenticated caller (`plain`) or, with a pending token, as the
// token's user (`as`); nullopt when that token is not valid (nothing was written).
template <class Command>
std::optional<Outcome> execute(
    Call& call, const PendingToken* pending, const Command& command,
    Outcome (commands::CommandHandler::*plain)(const commands::CommandContext&, const Command&),
    Outcome (commands::CommandHandler::*as)(const commands::TokenCheck&,
                                            const commands::CommandContext&, const Command&,
                                            std::optional<commands::Actor>&)) {
  auto& handler = call.services.commands;
  if (!pending) return (handler.*plain)(context_of(call), command);
  std::optional<commands::Actor> actor;
  Outcome outcome = (handler.*as)(pending->token, context_of(call), command, actor);
  if (!actor) return std::nullopt;
  adopt(call, std::move(*actor), pending->route);
  return outcome;
}

// The command of a POST of a new entity, from its body; nullopt, with `error` the answer,
// for a malformed request.
std::optional<commands::CreateEntity> create_command(const Call& call, const EntitySpec& spec,
                                                     Response& error) {
  const auto body = parse_json_body(call.request, error);
  if (!body) return std::nullopt;
  if (!body->is_object()) {
    error = bad_request("The body must be a JSON object.");
    return std::nullopt;
  }
  const json::object& object = body->get_object();
  std::vector<commands::FieldError> errors;
  commands::CreateEntity command{&spec, "", std::nullopt, {}};
  if (const auto* id = object.if_contains("id")) {
    if (id->is_string()) {
      command.id = std::string(id->get_string());
    } else {
      errors.push_back({"id", "must be a UUID string"});
    }
  }
  if (const auto* v = object.if_contains("version")) {
    if (v->is_int64()) {
      command.version = v->get_int64();
    } else {
      errors.push_back({"version", "must be absent or 1 when creating"});
    }
  }
  command.fields = json_to_fields(object, {"id", "version"}, errors);
  if (!errors.empty()) {
    error = validation_problem(errors);
    return std::nullopt;
  }
  return command;
}

// The answer to a creation that succeeded: 201 with its Location, or 200 for a repeat.
Response created_response(const EntitySpec& spec, const commands::EntityState& entity,
                          bool created) {
  Response r = entity_response(created ? status::created : status::ok, spec, entity);
  r.set(beast_http::field::location, "/api/v1/" + std::string(spec.collection) + "/" + entity.id);
  return r;
}

// POST of a new entity. With `pending`, the caller is not authenticated yet.
Response create(Call& call, const EntitySpec& spec, const PendingToken* pending = nullptr) {
  Response error;
  const auto command = create_command(call, spec, error);
  if (!command) return refused_request(call, pending, std::move(error), spec, "", true);
  const auto outcome = execute(call, pending, *command, &commands::CommandHandler::create,
                               &commands::CommandHandler::create_as);
  if (!outcome) return unauthenticated();
  if (!outcome->ok()) return outcome_problem(*outcome, spec);
  return created_response(spec, outcome->entity, outcome->created);
}

Response list(Call& call, const EntitySpec& spec) {
  projections::ListQuery query;
  query.limit = kDefaultLimit;
  std::string as_of;  // empty: now
  const auto& filters = projections::read_model_sql(spec).list_filters;
  for (const auto& [key, value] : call.target.query) {
    if (key == "limit") {
      const auto limit = parse_version_text(value);
      if (!limit || *limit > static_cast<std::int64_t>(kMaxLimit)) {
        return bad_request("limit must be an integer from 1 to 500.");
      }
      query.limit = static_cast<std::size_t>(*limit);
    } else if (key == "cursor") {
      if (!commands::is_uuid(value)) return bad_request("cursor is not one this server gave.");
      query.after_id = value;
    } else if (key == "as_of") {
      const auto time = events::parse_timestamp(value);
      if (!time) return bad_request("as_of must be a time: YYYY-MM-DD or an RFC 3339 timestamp.");
      as_of = events::format_timestamp(*time);
    } else if (std::find(filters.begin(), filters.end(), key) != filters.end()) {
      if (!commands::is_uuid(value)) return bad_request(key + " must be a UUID.");
      query.filters[key] = value;
    } else {
      return bad_request("Unknown query parameter" + quoted_input(key) + ".");
    }
  }
  commands::ListPage page;
  const Outcome outcome =
      as_of.empty() ? call.services.queries.list(call.actor, spec, query, page)
                    : call.services.queries.list_as_of(call.actor, spec, query, as_of, page);
  if (!outcome.ok()) return outcome_problem(outcome, spec);
  json::array items;
  for (const auto& state : page.items) items.push_back(entity_to_json(spec, state));
  return json_response(
      status::ok,
      json::object{{"items", std::move(items)},
                   {"next_cursor", page.next_cursor.empty() ? json::value(nullptr)
                                                            : json::value(page.next_cursor)}});
}

Response get(Call& call, const EntitySpec& spec, const std::string& id) {
  std::optional<std::int64_t> at_version;
  if (const auto it = call.target.query.find("at_version"); it != call.target.query.end()) {
    at_version = parse_version_text(it->second);
    if (!at_version) return bad_request("at_version must be a positive integer.");
  }
  const Outcome outcome = call.services.queries.get(call.actor, spec, id, at_version);
  if (!outcome.ok()) return outcome_problem(outcome, spec);
  return entity_response(status::ok, spec, outcome.entity);
}

// The command of a PUT/PATCH of one entity, from its body, If-Match or ?version=; nullopt,
// with `error` the answer, for a malformed request.
std::optional<commands::UpdateEntity> update_command(const Call& call, const EntitySpec& spec,
                                                     const std::string& id, Response& error) {
  const auto body = parse_json_body(call.request, error);
  if (!body) return std::nullopt;
  if (!body->is_object()) {
    error = bad_request("The body must be a JSON object.");
    return std::nullopt;
  }
  const json::object& object = body->get_object();
  std::vector<commands::FieldError> errors;
  const auto version = version_from(call, &object, errors);
  if (const auto* body_id = object.if_contains("id")) {
    if (!body_id->is_string() || body_id->get_string() != id) {
      errors.push_back({"id", "must match the id in the address, or be left out"});
    }
  }
  commands::UpdateEntity command{&spec, id, version,
                                 json_to_fields(object, {"id", "version"}, errors),
                                 prefers_merge(call.request)};
  if (!errors.empty()) {
    error = validation_problem(errors);
    return std::nullopt;
  }
  return command;
}

// PUT/PATCH of one entity (`pending` as for create()).
Response update(Call& call, const EntitySpec& spec, const std::string& id,
                const PendingToken* pending = nullptr) {
  Response error;
  const auto command = update_command(call, spec, id, error);
  if (!command) return refused_request(call, pending, std::move(error), spec, id, false);
  const auto outcome = execute(call, pending, *command, &commands::CommandHandler::update,
                               &commands::CommandHandler::update_as);
  if (!outcome) return unauthenticated();
  if (!outcome->ok()) {
    if (outcome->kind == Outcome::Kind::conflict)
      call.services.metrics.record_conflict(std::string(spec.type));
    return outcome_problem(*outcome, spec);
  }
  Response r = entity_response(status::ok, spec, outcome->entity);
  if (!outcome->merged_over.empty()) {
    std::string versions;
    for (const auto v : outcome->merged_over) {
      versions += (versions.empty() ? "" : ", ") + std::to_string(v);
    }
    r.set("Preference-Applied", "merge=disjoint");
    r.set("Merged-Over", versions);
  }
  return r;
}

Response remove(Call& call, const EntitySpec& spec, const std::string& id) {
  std::vector<commands::FieldError> errors;
  const auto version = version_from(call, nullptr, errors);
  if (!errors.empty()) {
    return refused_request(call, nullptr, validation_problem(errors), spec, id, true);
  }
  const Outcome outcome = call.services.commands.remove(context_of(call), {&spec, id, version});
  if (!outcome.ok()) {
    if (outcome.kind == Outcome::Kind::conflict)
      call.services.metrics.record_conflict(std::string(spec.type));
    return outcome_problem(outcome, spec);
  }
  Response r{status::no_content, 11};
  r.prepare_payload();
  return r;
}

// GET .../{id}/lineage?field=F[&as_of=TIME]: every value F held, with the event that set it.
Response lineage(Call& call, const EntitySpec& spec, const std::string& id) {
  std::string field, as_of;
  for (const auto& [key, value] : call.target.query) {
    if (key == "field") {
      field = value;
    } else if (key == "as_of") {
      const auto time = events::parse_timestamp(value);
      if (!time) return bad_request("as_of must be a time: YYYY-MM-DD or an RFC 3339 timestamp.");
      as_of = events::format_timestamp(*time);
    } else {
      return bad_request("Unknown query parameter" + quoted_input(key) + ".");
    }
  }
  if (!projections::has_lineage(spec, field)) {
    return bad_request("field must name a field of " + std::string(spec.type) +
                       (field.empty() ? " (?field=...)." : "; not" + quoted_input(field) + "."));
  }
  std::vector<projections::HistoryEntry> entries;
  const Outcome outcome = call.services.queries.history(call.actor, spec, id, entries);
  if (!outcome.ok()) return outcome_problem(outcome, spec);
  json::array items;
  for (const auto& e : projections::field_lineage(entries, field, as_of)) {
    items.push_back(lineage_entry_to_json(e));
  }
  return json_response(status::ok, json::object{{"field", field}, {"items", std::move(items)}});
}

Response history(Call& call, const EntitySpec& spec, const std::string& id) {
  std::vector<projections::HistoryEntry> entries;
  const Outcome outcome = call.services.queries.history(call.actor, spec, id, entries);
  if (!outcome.ok()) return outcome_problem(outcome, spec);
  json::array items;
  for (const auto& e : entries) items.push_back(history_entry_to_json(e));
  return json_response(status::ok, json::object{{"items", std::move(items)}});
}

// GET /api/v1/events: a page of the feed, or (GET with Accept: text/event-stream) the head
// of a live stream that the server carries on (event_stream.h).
Response event_feed(Call& call) {
  Response error;
  auto query = parse_feed_query(call.target, call.request, error);
  if (!query) return error;
  if (call.request.method() == verb::get && wants_event_stream(call.request)) {
    auto token = call.services.auth.token_check(call.request[beast_http::field::authorization]);
    if (!token) return unauthenticated();
    token->cache = nullptr;  // the hub reads the token with its events: always fresh
    call.info.event_stream = EventStreamRequest{call.actor, std::move(*token), std::move(*query)};
    return event_stream_head();
  }
  return event_feed_page(call.services.store, call.actor, *query);
}

// POST .../{id}/erasure {"reason": "..."}: the subject's personal values erased for good
// (admins only; users and workers; docs/api.md "Erasure").
Response erase(Call& call, const EntitySpec& spec, const std::string& id) {
  Response error;
  const auto body = parse_json_body(call.request, error);
  if (!body) return error;
  if (!body->is_object()) return bad_request("The body must be a JSON object.");
  const auto* reason = body->get_object().if_contains("reason");
  if (!reason || !reason->is_string()) {
    if (!call.actor.is_admin()) {
      return outcome_problem(Outcome::refused("only an administrator may erase personal data"),
                             spec);
    }
    return validation_problem({{"reason", "is required: why the data is erased"}});
  }
  const Outcome outcome = call.services.commands.erase(
      context_of(call), {&spec, id, std::string(reason->get_string())});
  if (!outcome.ok()) return outcome_problem(outcome, spec);
  return entity_response(status::ok, spec, outcome.entity);
}

Response issue_token(Call& call) {
  Response error;
  const auto body = parse_json_body(call.request, error);
  if (!body) return error;
  if (!body->is_object()) return bad_request("The body must be a JSON object.");
  const auto* username = body->get_object().if_contains("username");
  const auto* password = body->get_object().if_contains("password");
  std::vector<commands::FieldError> errors;
  if (!username || !username->is_string()) errors.push_back({"username", "is required"});
  if (!password || !password->is_string()) errors.push_back({"password", "is required"});
  if (!errors.empty()) return validation_problem(errors);
  const auto login =
      call.services.auth.log_in(std::string(username->get_string()),
                                std::string(password->get_string()), call.client_address);
  if (login.retry_after) {
    Response r = problem(status::too_many_requests, "rate_limited", "Too many failed logins",
                         "Too many failed logins for this user name or from this address; "
                         "try again later.");
    r.set(beast_http::field::retry_after, std::to_string(login.retry_after->count()));
    return r;
  }
  const auto& token = login.token;
  if (!token) {
    Response r = problem(status::unauthorized, "unauthenticated", "Unauthenticated",
                         "Unknown user, inactive user or wrong password.");
    r.set(beast_http::field::www_authenticate, "Bearer");
    return r;
  }
  return json_response(status::ok, json::object{{"access_token", token->access_token},
                                                {"token_type", "bearer"},
                                                {"expires_at", token->expires_at}});
}

Response healthz(Call& call) {
  try {
    call.services.store.stream_version("healthz-check");
    return json_response(status::ok, json::object{{"status", "ok"}});
  } catch (const store::StoreError&) {
    return unavailable("The store does not answer.");
  }
}

// The answer to a GET of one entity read with its bearer token (EntityQueries::get_with_token).
Response token_read_response(Call& call, const EntitySpec& spec, const std::string& route,
                             commands::EntityQueries::TokenRead& read) {
  if (!read.actor) return unauthenticated();
  adopt(call, std::move(*read.actor), route);
  if (!read.outcome.ok()) return outcome_problem(read.outcome, spec);
  return entity_response(status::ok, spec, read.outcome.entity);
}

// The most frequent requests, answered with the bearer token checked in the statement that
// reads the entity: GET of one entity (one round trip in all on PostgreSQL), and POST,
// PUT and PATCH (the command checks it in its own transaction: one round trip fewer).
// nullopt for requests of any other shape and for the admin-only types; the general path
// below answers those.
std::optional<Response> entity_fast_path(Call& call) {
  const auto& seg = call.target.segments;
  const verb method = call.method;
  const bool one = seg.size() == 4, all = seg.size() == 3;
  const bool read = one && method == verb::get && call.target.query.empty();
  const bool update_one = one && (method == verb::patch || method == verb::put);
  const bool create_one = all && method == verb::post;
  if (!read && !update_one && !create_one) return std::nullopt;
  const EntitySpec* spec = events::find_entity_by_collection(seg[2]);
  if (!spec || spec->scope == events::ScopeKind::admin_only ||
      (one && !commands::is_uuid(seg[3]))) {
    return std::nullopt;
  }
  auto token = call.services.auth.token_check(call.request[beast_http::field::authorization]);
  if (!token) return unauthenticated();
  const std::string base = "/api/v1/" + std::string(spec->collection);
  if (create_one) {
    const PendingToken pending{std::move(*token), base};
    return create(call, *spec, &pending);
  }
  const PendingToken pending{std::move(*token), base + "/{id}"};
  if (update_one) return update(call, *spec, seg[3], &pending);
  commands::EntityQueries::TokenRead found;
  found.outcome = call.services.queries.get_with_token(pending.token, *spec, seg[3], found.actor);
  return token_read_response(call, *spec, pending.route, found);
}

Response route_api(Call& call);

bool changes_entities(verb method) {
  return method == verb::post || method == verb::put || method == verb::patch ||
         method == verb::delete_;
}

// A write with an Idempotency-Key (idempotency.h): the first with the key runs (route_api)
// and its answer is kept; a repeat of the same request gets that answer again, marked with
// `Idempotent-Replayed: true`; the key with another request is 422. Keys belong to the
// authenticated user. Answers 5xx and 401 are not kept: a repeat runs again.
Response idempotent(Call& call, std::string_view key) {
  if (!valid_idempotency_key(key)) {
    return bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters.");
  }
  auto actor = call.services.auth.authenticate(call.request[beast_http::field::authorization]);
  if (!actor) return unauthenticated();
  call.actor = std::move(*actor);
  call.info.user_id = call.actor.user_id;
  const std::string user = call.actor.user_id, owned_key(key);
  const std::string fingerprint =
      sha256_hex(std::string(beast_http::to_string(call.method)) + " " +
                 std::string(call.request.target()) + "\n" + call.request.body());
  auto& keys = *call.services.idempotency;
  auto claim = keys.claim(user, owned_key, fingerprint);
  switch (claim.kind) {
    case IdempotencyKeys::Claim::Kind::replay:
      claim.answer.set("Idempotent-Replayed", "true");
      call.info.route = claim.route;
      return std::move(claim.answer);
    case IdempotencyKeys::Claim::Kind::mismatch:
      return validation_problem(
          {{"Idempotency-Key", "was used before with another request (method, address or body)"}},
          "This Idempotency-Key belongs to another request.");
    case IdempotencyKeys::Claim::Kind::busy: {
      return unavailable(
          "A request with this Idempotency-Key is still running; repeat it shortly to get its "
          "answer.",
          1);
    }
    case IdempotencyKeys::Claim::Kind::claimed:
      break;
  }
  call.key_claimed = true;
  Response answer;
  try {
    answer = route_api(call);
  } catch (...) {
    keys.abandon(user, owned_key);
    throw;
  }
  const unsigned code = answer.result_int();
  if (code >= 500 || code == 401) {
    keys.abandon(user, owned_key);
  } else {
    keys.finish(user, owned_key, answer, call.info.route);
  }
  return answer;
}

Response route_api(Call& call) {
  const auto& seg = call.target.segments;  // "api", "v1", ...
  const verb method = call.method;
  if (seg.size() == 4 && seg[2] == "auth" && seg[3] == "token") {
    call.info.route = "/api/v1/auth/token";
    return method == verb::post ? issue_token(call) : method_not_allowed("POST");
  }
  if (seg.size() == 3 && seg[2] == "openapi.json") {
    call.info.route = "/api/v1/openapi.json";
    if (method != verb::get) return method_not_allowed("GET, HEAD");
    Response r{status::ok, 11};
    r.set(beast_http::field::content_type, "application/json");
    r.body() = call.services.openapi_json;
    r.prepare_payload();
    return r;
  }
  if (changes_entities(method) && !call.key_claimed && call.services.idempotency) {
    if (const auto key = call.request["Idempotency-Key"]; !key.empty()) {
      return idempotent(call, key);
    }
  }
  if (auto fast = entity_fast_path(call)) return std::move(*fast);
  // Everything else needs a token (idempotent() authenticated a keyed write already).
  if (!call.key_claimed) {
    auto actor = call.services.auth.authenticate(call.request[beast_http::field::authorization]);
    if (!actor) return unauthenticated();
    call.actor = std::move(*actor);
    call.info.user_id = call.actor.user_id;
  }

  if (seg.size() == 4 && seg[2] == "auth" && seg[3] == "me") {
    call.info.route = "/api/v1/auth/me";
    if (method != verb::get) return method_not_allowed("GET, HEAD");
    const auto& users = events::entity("user");
    const Outcome me =
        call.services.queries.get(commands::Actor::system_actor(), users, call.actor.user_id);
    if (!me.ok()) return unauthenticated();
    json::object body = entity_to_json(users, me.entity);
    json::array roles;
    for (const auto& g : call.actor.grants) {
      roles.push_back(json::object{
          {"role_type", g.role},
          {"scope_type", g.scope_type.empty() ? json::value(nullptr) : json::value(g.scope_type)},
          {"program_id", g.program_id.empty() ? json::value(nullptr) : json::value(g.program_id)},
          {"project_id", g.project_id.empty() ? json::value(nullptr) : json::value(g.project_id)}});
    }
    body["roles"] = std::move(roles);
    return json_response(status::ok, body);
  }
  if (seg.size() == 3 && seg[2] == "events") {
    call.info.route = "/api/v1/events";
    return method == verb::get ? event_feed(call) : method_not_allowed("GET, HEAD");
  }
  if (seg.size() == 3 && seg[2] == "changes") {
    call.info.route = "/api/v1/changes";
    if (method != verb::get) return method_not_allowed("GET, HEAD");
    Response error;
    const auto query = parse_feed_query(call.target, call.request, error);
    return query ? changes_page(call.services.store, call.actor, *query) : error;
  }
  if (seg.size() < 3) return not_found();
  const EntitySpec* spec = events::find_entity_by_collection(seg[2]);
  if (!spec) return not_found("Unknown collection" + quoted_input(seg[2]) + ".");
  const std::string base = "/api/v1/" + std::string(spec->collection);
  // Users, user roles and scope assignments are for admins only, whatever the method
  // (API.md: 403 for others, not the 404 that hides an entity out of scope).
  if (spec->scope == events::ScopeKind::admin_only && !call.actor.is_admin()) {
    call.info.route =
        seg.size() == 3   ? base
        : seg.size() == 4 ? base + "/{id}"
        : seg.size() == 5 && (seg[4] == "history" || seg[4] == "lineage" || seg[4] == "erasure")
            ? base + "/{id}/" + seg[4]
            : "unmatched";
    return outcome_problem(
        Outcome::refused("only admins may read or change " + std::string(spec->collection)), *spec);
  }
  if (seg.size() == 3) {
    call.info.route = base;
    if (method == verb::get) return list(call, *spec);
    if (method == verb::post) return create(call, *spec);
    return method_not_allowed("GET, HEAD, POST");
  }
  if (seg.size() == 4 && spec->type == "resource" && seg[3] == "utilisation") {
    call.info.route = base + "/utilisation";
    if (method != verb::get) return method_not_allowed("GET, HEAD");
    return resources_utilisation(call.services.store, call.services.queries, call.actor,
                                 call.target);
  }
  if (seg.size() == 4 && spec->type == "resource_assignment" && seg[3] == "bulk-update") {
    call.info.route = base + "/bulk-update";
    return method == verb::post ? bulk_update_assignments(call.request, call.services.commands,
                                                          call.services.metrics, context_of(call))
                                : method_not_allowed("POST");
  }
  const std::string& id = seg[3];
  if (seg.size() == 4) {
    call.info.route = base + "/{id}";
    if (method != verb::get && method != verb::put && method != verb::patch &&
        method != verb::delete_) {
      return method_not_allowed("GET, HEAD, PUT, PATCH, DELETE");
    }
    if (!commands::is_uuid(id)) return not_found("No " + std::string(spec->type) + " has this id.");
    if (method == verb::get) return get(call, *spec, id);
    if (method == verb::delete_) return remove(call, *spec, id);
    return update(call, *spec, id);
  }
  if (seg.size() == 5 && spec->type == "resource" && seg[4] == "utilisation") {
    call.info.route = base + "/{id}/utilisation";
    if (method != verb::get) return method_not_allowed("GET, HEAD");
    if (!commands::is_uuid(id)) return not_found("No resource has this id.");
    return resource_utilisation(call.services.store, call.services.queries, call.actor, call.target,
                                id);
  }
  if (seg.size() == 5 && seg[4] == "erasure" && spec->has_personal_fields()) {
    call.info.route = base + "/{id}/erasure";
    if (method != verb::post) return method_not_allowed("POST");
    if (!commands::is_uuid(id)) return not_found("No " + std::string(spec->type) + " has this id.");
    return erase(call, *spec, id);
  }
  if (seg.size() == 5 && (seg[4] == "history" || seg[4] == "lineage")) {
    call.info.route = base + "/{id}/" + seg[4];
    if (method != verb::get) return method_not_allowed("GET, HEAD");
    if (!commands::is_uuid(id)) return not_found("No " + std::string(spec->type) + " has this id.");
    return seg[4] == "history" ? history(call, *spec, id) : lineage(call, *spec, id);
  }
  return not_found();
}

Response route(Call& call) {
  const auto& seg = call.target.segments;
  if (call.target.malformed)
    return bad_request("The address is not properly percent-encoded, or its query holds %00.");
  if (seg.size() == 1 && seg[0] == "healthz") {
    call.info.route = "/healthz";
    return call.method == verb::get ? healthz(call) : method_not_allowed("GET, HEAD");
  }
  if (seg.size() == 1 && seg[0] == "metrics") {
    call.info.route = "/metrics";
    if (call.method != verb::get) return method_not_allowed("GET, HEAD");
    Response r{status::ok, 11};
    r.set(beast_http::field::content_type, "text/plain; version=0.0.4");
    r.body() = call.services.metrics.render();
    r.prepare_payload();
    return r;
  }
  if (seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1") return route_api(call);
  if (!seg.empty() && seg[0] == "api") return not_found();
  // Everything else is the web console's static files.
  call.info.route = "/{console}";
  if (call.method != verb::get) return method_not_allowed("GET, HEAD");
  return static_file_response(call.services.web_root, call.request.target(),
                              call.request[beast_http::field::if_none_match]);
}

// One JSON log line for a request that failed on the server's side. Only the first line
// of the exception's text goes in, cut short: database errors carry the offending values
// in their DETAIL lines, and nothing a client sent may reach the log except ids.
void log_failure(std::string_view event, const std::string& request_id, const RouteInfo& info,
                 const std::exception& e) {
  std::string what = e.what();
  what = what.substr(0, what.find('\n'));
  if (what.size() > 200) {
    what.resize(200);
    // No cut multi-byte character at the end.
    while (!what.empty() && (static_cast<unsigned char>(what.back()) & 0xc0) == 0x80) {
      what.pop_back();
    }
    if (!what.empty() && static_cast<unsigned char>(what.back()) >= 0xc0) what.pop_back();
  }
  spdlog::error(json::serialize(json::object{{"event", event},
                                             {"request_id", request_id},
                                             {"route", info.route},
                                             {"user_id", info.user_id},
                                             {"error", what}}));
}

}  // namespace

bool is_slow_request(const Request& request) {
  const verb method = request.method();
  if (method == verb::get || method == verb::head || method == verb::delete_) return false;
  const std::string_view target = request.target();
  const auto path_is = [&](std::string_view path) {
    return target.starts_with(path) && (target.size() == path.size() ||
                                        target[path.size()] == '/' || target[path.size()] == '?');
  };
  return path_is("/api/v1/auth/token") || path_is("/api/v1/users");
}

namespace {

// What `answer` returns, or the response to what it threw: store failures 503, bugs 500
// (logged with the request id, without internals in the response).
template <typename Answer>
Response guarded(const std::string& request_id, RouteInfo& info, Answer&& answer) {
  try {
    return answer();
  } catch (const store::StoreOutcomeUnknown& e) {
    log_failure("store_outcome_unknown", request_id, info, e);
    return unavailable(
        "The connection to the store broke while the change was being saved: "
        "it may or may not have been saved. Read the entity before you try "
        "again.");
  } catch (const store::PurgeIncomplete& e) {
    log_failure("erasure_purge_incomplete", request_id, info, e);
    return unavailable(
        "The erasure is recorded, but a transaction older than it was still "
        "open, so old values may remain in the database files. Run the "
        "erasure again once it has ended to complete it.");
  } catch (const store::StoreUnavailable& e) {
    log_failure("store_unavailable", request_id, info, e);
    return unavailable("The store is not reachable right now. Nothing was written; try again.");
  } catch (const std::exception& e) {
    log_failure("internal_error", request_id, info, e);
    return problem(status::internal_server_error, "internal", "Internal error",
                   "An unexpected error occurred. It has been logged with the request id.");
  }
}

}  // namespace

Response handle_request(const Request& request, const std::string& request_id,
                        const std::string& client_address, Services& services, RouteInfo& info) {
  const Target target = parse_target(request.target());
  const bool head = request.method() == verb::head;
  Call call{
      request,       head ? verb::get : request.method(), target, services, info, {}, request_id,
      client_address};
  return guarded(request_id, info, [&] {
    Response response = route(call);
    if (head) {
      // The headers of the GET, Content-Length included, without its body.
      const auto length = response.body().size();
      response.body().clear();
      response.content_length(length);
    }
    return response;
  });
}

namespace {

// The GET of one entity through the pipe (handle_request_without_blocking).
void read_through_pipe(const Request& request, const std::string& request_id,
                       const std::string& client_address, Services& services,
                       store::StatementPipe& pipe, std::shared_ptr<const Target> target,
                       const EntitySpec& spec, commands::TokenCheck token, PipeAnswer answer) {
  auto read_done = [&request, request_id, client_address, &services, target, &spec,
                    answer = std::move(answer)](commands::EntityQueries::TokenRead* read) {
    RouteInfo info;
    if (!read) {  // the pipe failed: the usual way, which meets the failure and answers it
      services.metrics.record_run_again();
      Response response = handle_request(request, request_id, client_address, services, info);
      return answer(std::move(response), info);
    }
    Call call{request, verb::get, *target, services, info, {}, request_id, client_address};
    const std::string route = "/api/v1/" + std::string(spec.collection) + "/{id}";
    Response response =
        guarded(request_id, info, [&] { return token_read_response(call, spec, route, *read); });
    answer(std::move(response), info);
  };
  const std::string id = target->segments[3];
  commands::EntityQueries::get_with_token(pipe, std::move(token), spec, id, std::move(read_done));
}

// handle_request's answer, on a thread that may wait for the store when one is idle: what
// the fast way could not decide (a conflict, whose body needs the entity's history) then
// does not stop the loop's other connections for its round trips. Else on the loop, as
// before: such answers never queue behind slow requests nor crowd them out of the pool.
void answer_the_usual_way(const Request& request, const std::string& request_id,
                          const std::string& client_address, Services& services,
                          const LoopServices& loop, const PipeAnswer& answer) {
  const auto respond = [&request, request_id, client_address, &services](RouteInfo& info) {
    return handle_request(request, request_id, client_address, services, info);
  };
  const bool offloaded =
      loop.run_blocking && loop.run_blocking([respond, answer, post = loop.post]() mutable {
        RouteInfo info;
        Response response = respond(info);
        // `answer` moved, not copied: the session it holds is let go on the loop.
        post([answer = std::move(answer), response = std::move(response),
              info = std::move(info)]() mutable { answer(std::move(response), info); });
      });
  if (offloaded) return;
  // No idle thread: the loop's own does it, never the thread that ran `done` (SQLite's
  // store thread), where a unit of work would wait for that thread itself.
  if (loop.post) {
    loop.post([respond, answer]() mutable {
      RouteInfo info;
      Response response = respond(info);
      answer(std::move(response), info);
    });
    return;
  }
  RouteInfo info;
  Response response = respond(info);
  answer(std::move(response), info);
}

// A POST of a new entity or a PUT/PATCH of one without the loop waiting
// (handle_request_without_blocking). False: answer it the usual way.
bool write_without_blocking(const Request& request, const std::string& request_id,
                            const std::string& client_address, Services& services,
                            const LoopServices& loop, const Target& target, const EntitySpec& spec,
                            const commands::TokenCheck& token, PipeAnswer& answer) {
  const bool create = target.segments.size() == 3;
  RouteInfo parse_info;
  const Call call{request, request.method(), target,        services, parse_info,
                  {},      request_id,       client_address};
  Response error;
  std::optional<commands::CreateEntity> creation;
  std::optional<commands::UpdateEntity> update;
  if (create) {
    creation = create_command(call, spec, error);
  } else {
    update = update_command(call, spec, target.segments[3], error);
  }
  if (!creation && !update) return false;  // the usual way answers it, after the token check
  auto done = [&request, request_id, client_address, &services, &loop, &spec, create,
               answer](commands::PipedOutcome& result) {
    RouteInfo info;
    if (result.kind == commands::PipedOutcome::Kind::run_again) {
      services.metrics.record_run_again();
      return answer_the_usual_way(request, request_id, client_address, services, loop, answer);
    }
    info.route = "/api/v1/" + std::string(spec.collection) + (create ? "" : "/{id}");
    if (result.kind == commands::PipedOutcome::Kind::in_doubt) {
      Response response = guarded(request_id, info, []() -> Response {
        throw store::StoreOutcomeUnknown("the pipeline's connection broke after the write");
      });
      return answer(std::move(response), info);
    }
    if (result.kind == commands::PipedOutcome::Kind::failed) {
      Response response =
          guarded(request_id, info, [&]() -> Response { std::rethrow_exception(result.error); });
      return answer(std::move(response), info);
    }
    info.user_id = result.actor.user_id;
    const Outcome& outcome = result.outcome;
    if (outcome.ok()) {
      return answer(create ? created_response(spec, outcome.entity, outcome.created)
                           : entity_response(status::ok, spec, outcome.entity),
                    info);
    }
    if (outcome.kind == Outcome::Kind::conflict) {
      services.metrics.record_conflict(std::string(spec.type));
    }
    answer(outcome_problem(outcome, spec), info);
  };
  auto& commands = services.commands;
  const auto context = context_of(call);
  if (loop.pipe) {
    return create
               ? commands.create_through_pipe(token, context, *creation, *loop.pipe,
                                              std::move(done))
               : commands.update_through_pipe(token, context, *update, *loop.pipe, std::move(done));
  }
  // The store's thread answers: back to the loop.
  auto on_loop = [post = loop.post,
                  done = std::move(done)](commands::PipedOutcome& result) mutable {
    // Moved, not copied: the session it holds is let go on the loop, not on the store's thread.
    post([done = std::move(done), result = std::move(result)]() mutable { done(result); });
  };
  return create ? commands.create_async(token, context, *creation, std::move(on_loop))
                : commands.update_async(token, context, *update, std::move(on_loop));
}

}  // namespace

bool handle_request_without_blocking(const Request& request, const std::string& request_id,
                                     const std::string& client_address, Services& services,
                                     const LoopServices& loop, PipeAnswer answer) {
  const verb method = request.method();
  const bool read = method == verb::get && loop.pipe;
  // Writes with an Idempotency-Key go the usual way, which keeps their answers; so do
  // merges (Prefer: merge=disjoint), which read the entity's history when they are stale.
  const bool write = loop.writes &&
                     (method == verb::patch || method == verb::put || method == verb::post) &&
                     request["Idempotency-Key"].empty() && !prefers_merge(request);
  if (!read && !write) return false;
  auto target = std::make_shared<const Target>(parse_target(request.target()));
  const auto& seg = target->segments;
  const bool one = seg.size() == 4, all = seg.size() == 3;
  if (target->malformed || !target->query.empty() || !(method == verb::post ? all : one) ||
      seg[0] != "api" || seg[1] != "v1") {
    return false;
  }
  const EntitySpec* spec = events::find_entity_by_collection(seg[2]);
  if (!spec || spec->scope == events::ScopeKind::admin_only ||
      (one && !commands::is_uuid(seg[3]))) {
    return false;
  }
  auto token = services.auth.token_check(request[beast_http::field::authorization]);
  if (!token) return false;
  if (write) {
    return write_without_blocking(request, request_id, client_address, services, loop, *target,
                                  *spec, *token, answer);
  }
  read_through_pipe(request, request_id, client_address, services, *loop.pipe, std::move(target),
                    *spec, std::move(*token), std::move(answer));
  return true;
}

}  // namespace folio::http
