// Authentication and authorization over the wire (API.md "Basics", DOMAIN.md "Access"):
// 401 with WWW-Authenticate for missing, malformed, expired and revoked tokens; and for
// each role against each collection, 403 where the role may not, 404 (single reads and
// writes) or omission (lists) where the entity is out of the caller's scope.
#include "http/auth.h"

#include <set>

#include "store/event_store.h"
#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

class HttpAuth : public HttpApiTest {
 protected:
  // A portfolio, a program in it and a project in that (as admin).
  Parents portfolio_program_project() {
    Parents p;
    for (auto [collection, id] :
         {std::pair{"portfolios", &p.portfolio_id}, std::pair{"programs", &p.program_id},
          std::pair{"projects", &p.project_id}}) {
      *id = std::string(create(collection, create_body(collection, p, 1)).at("id").as_string());
    }
    return p;
  }
};

void expect_unauthenticated(const HttpResponse& r, const std::string& context) {
  expect_problem(r, 401, "unauthenticated", context);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer") << context;
}

// A username is unique regardless of letter case, so it names one user however it is
// typed at login; it is shown as it was given.
TEST_P(HttpAuth, UsernamesAreUniqueAndLogInRegardlessOfCase) {
  auto user = create_role_user("Mixed.Case", "viewer", "global", "");
  HttpClient typed_lower = login("mixed.case", user.password);
  const auto me = typed_lower.get("/api/v1/users/" + user.user_id);
  EXPECT_NE(me.status, 401) << me.body;
  EXPECT_EQ(current("users", user.user_id).at("username"), "Mixed.Case");
  const auto clash = admin_.post("/api/v1/users", json::object{{"username", "MIXED.case"},
                                                               {"email", "other@example.com"},
                                                               {"password", "long-enough-pw"}});
  expect_problem(clash, 409, "constraint", "a username differing only in case");
  const auto email_clash =
      admin_.post("/api/v1/users", json::object{{"username", "someone"},
                                                {"email", "MIXED.CASE@example.com"},
                                                {"password", "long-enough-pw"}});
  expect_problem(email_clash, 409, "constraint", "an email differing only in case");
}

TEST_P(HttpAuth, MissingBadExpiredAndRevokedTokensAre401) {
  auto user = create_role_user("eve", "viewer", "global", "");
  HttpClient raw = client();
  const std::string url = "/api/v1/portfolios";
  const std::vector<std::pair<std::string, std::string>> bad{
      {"no header", ""},
      {"empty", "Bearer"},
      {"blank token", "Bearer    "},
      {"unknown token", "Bearer " + std::string(43, 'A')},
      {"another scheme", "Basic " + user.client.token()},
      {"no scheme", user.client.token()},
      {"token with junk", "Bearer " + user.client.token() + "x"},
      {"overlong", "Bearer " + std::string(10000, 'x')},
  };
  for (const auto& [name, header] : bad) {
    Headers headers;
    if (!header.empty()) headers.emplace_back("Authorization", header);
    // The token must not be taken from the client either.
    auto r = raw.get(url, headers);
    expect_unauthenticated(r, name);
    r = raw.post(url, create_body("portfolios", {}, 1), headers);
    expect_unauthenticated(r, name + " (POST)");
  }
  EXPECT_TRUE(list_ids("portfolios").empty()) << "an unauthenticated create wrote something";
  // The scheme is case-insensitive (RFC 6750).
  for (const std::string scheme : {"bearer ", "BEARER ", "Bearer  "}) {
    EXPECT_EQ(raw.get(url, {{"Authorization", scheme + user.client.token()}}).status, 200)
        << scheme;
  }
  // The endpoints that need no token.
  EXPECT_EQ(raw.get("/healthz").status, 200);
  EXPECT_EQ(raw.get("/metrics").status, 200);
  EXPECT_EQ(raw.get("/api/v1/openapi.json").status, 200);
  expect_unauthenticated(raw.get("/api/v1/auth/me"), "auth/me without a token");

  // Wrong passwords and unknown users: 401, no token.
  HttpClient anonymous = client();
  expect_unauthenticated(
      anonymous.post("/api/v1/auth/token",
                     json::object{{"username", "eve"}, {"password", "wrong-password"}}),
      "wrong password");
  expect_unauthenticated(
      anonymous.post("/api/v1/auth/token",
                     json::object{{"username", "nobody"}, {"password", "whatever-1"}}),
      "unknown user");
  // The right password under the name with more after a NUL: another (impossible) name,
  // even though PostgreSQL's text would have cut it back to "eve".
  expect_unauthenticated(
      anonymous.post("/api/v1/auth/token", json::object{{"username", std::string("eve\0x", 5)},
                                                        {"password", user.password}}),
      "a name with a NUL");
  expect_problem(anonymous.post("/api/v1/auth/token", json::object{{"username", "eve"}}), 422,
                 "validation", "no password");
  expect_problem(anonymous.post("/api/v1/auth/token", json::array{}), 400, "bad_request",
                 "not an object");
  expect_problem(
      anonymous.send({"POST", "/api/v1/auth/token", "{", {{"Content-Type", "application/json"}}}),
      400, "bad_request", "invalid JSON");
  expect_problem(anonymous.send({"POST",
                                 "/api/v1/auth/token",
                                 "username=eve",
                                 {{"Content-Type", "application/x-www-form-urlencoded"}}}),
                 415, "unsupported_media_type", "a form");

  // An expired token: 401 (expiry set in the past directly in the store).
  {
    HttpClient expiring = login("eve", user.password);
    ASSERT_EQ(expiring.get(url).status, 200);
    auto store = db_->open_store();
    store->transact(store::Access::read_write, [&](store::Transaction& tx) {
      static constexpr const char* kExpire =
          "UPDATE auth_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = $1";
      const std::vector<store::SqlValue> params{user.user_id};
      tx.execute(kExpire, params);
      return store::Verdict::commit;
    });
    expect_unauthenticated(expiring.get(url), "expired token");
    expect_unauthenticated(user.client.get(url), "expired token (the first one)");
  }
  // Deactivating the user stops its tokens at once.
  HttpClient eve = login("eve", user.password);
  ASSERT_EQ(eve.get(url).status, 200);
  const auto state = current("users", user.user_id);
  ASSERT_EQ(admin_
                .patch("/api/v1/users/" + user.user_id,
                       json::object{{"version", state.at("version")}, {"is_active", false}})
                .status,
            200);
  expect_unauthenticated(eve.get(url), "deactivated user");
  expect_unauthenticated(
      anonymous.post("/api/v1/auth/token",
                     json::object{{"username", "eve"}, {"password", user.password}}),
      "login of a deactivated user");
}

// ---- The role matrix ----------------------------------------------------------------------

enum class Where { a, b };  // a: under program P1 / project J1; b: under P2 / J2

struct RoleCase {
  std::string name;        // role_type
  std::string scope_type;  // global, program, project ("" for admin)
  bool program_scope_p1;   // scope target: P1 (program) or J1 (project)
};

bool role_writes(const std::string& role, const std::string& c) {
  auto in = [&](std::initializer_list<const char*> cs) {
    for (const char* x : cs) {
      if (c == x) return true;
    }
    return false;
  };
  if (role == "admin") return true;
  if (role == "program_manager")
    return in({"programs", "projects", "project-phases", "resource-assignments"});
  if (role == "project_manager")
    return in({"projects", "project-phases", "resource-assignments", "actuals"});
  if (role == "finance_manager") return in({"project-phases", "rates", "actuals"});
  if (role == "resource_manager")
    return in({"resources", "worker-types", "workers", "resource-assignments"});
  return false;
}

// DOMAIN.md "Access", for the users of the test: pgm and fin have program scope P1, prj and
// viewer project scope J1, res a global scope.
bool may_read(const RoleCase& r, const std::string& c, Where w) {
  if (r.name == "admin") return true;
  if (is_admin_only(c)) return false;
  if (is_organisation_wide(c) || r.scope_type == "global") return true;
  if (w == Where::b) return false;
  if (r.scope_type == "project") return c != "programs";  // J1 and its children
  return true;                                            // P1, its projects and children
}

bool may_update(const RoleCase& r, const std::string& c, Where w) {
  if (r.name == "admin") return true;
  if (is_admin_only(c)) return false;
  if (is_organisation_wide(c)) return r.scope_type == "global" && role_writes(r.name, c);
  return may_read(r, c, w) && role_writes(r.name, c);
}

bool may_delete(const RoleCase& r, const std::string& c, Where w) {
  if (r.name == "finance_manager" && c == "project-phases") return false;  // budgets only
  return may_update(r, c, w);
}

// A new program is inside no program scope, a new project inside no project scope.
bool may_create(const RoleCase& r, const std::string& c, Where w) {
  if (r.name != "admin" && r.scope_type != "global") {
    if (c == "programs") return false;
    if (c == "projects" && r.scope_type == "project") return false;
  }
  return may_delete(r, c, w);
}

TEST_P(HttpAuth, EachRoleAgainstEachCollection) {
  // The plan: P1 > J1 and P2 > J2, each project with a phase, an assignment and an actual.
  Parents base;
  base.portfolio_id =
      std::string(create("portfolios", create_body("portfolios", base, 1)).at("id").as_string());
  base.resource_id =
      std::string(create("resources", create_body("resources", base, 1)).at("id").as_string());
  base.worker_type_id = std::string(
      create("worker-types", create_body("worker-types", base, 1)).at("id").as_string());
  base.worker_id =
      std::string(create("workers", create_body("workers", base, 1)).at("id").as_string());
  Parents side[2] = {base, base};
  for (int s = 0; s < 2; ++s) {
    side[s].program_id = std::string(
        create("programs", create_body("programs", side[s], 1 + s)).at("id").as_string());
    side[s].project_id = std::string(
        create("projects", create_body("projects", side[s], 1 + s)).at("id").as_string());
  }
  // Targets: one entity of each collection on each side (organisation-wide and admin-only
  // collections have one "side" each; the same entity stands for both).
  const auto dummy = create_role_user("dummy", "viewer", "project", side[0].project_id);
  std::map<std::string, std::string> target[2];
  std::map<std::string, std::int64_t> version;
  int n = 10;        // create bodies: distinct days and unique values
  int probe = 1000;  // probe values
  for (const auto& c : all_collections()) {
    for (int s = 0; s < 2; ++s) {
      std::string id;
      if (c == "portfolios")
        id = base.portfolio_id;
      else if (c == "resources")
        id = base.resource_id;
      else if (c == "worker-types")
        id = base.worker_type_id;
      else if (c == "workers")
        id = base.worker_id;
      else if (c == "programs")
        id = side[s].program_id;
      else if (c == "projects")
        id = side[s].project_id;
      else if (c == "users")
        id = dummy.user_id;
      else if (c == "user-roles")
        id = dummy.role_id;
      else if (c == "scope-assignments")
        id = dummy.scope_id;
      else if (c == "rates" && s == 1)
        id = target[0][c];
      else
        id = std::string(create(c, create_body(c, side[s], n++)).at("id").as_string());
      target[s][c] = id;
      version[id] = current(c, id).at("version").as_int64();
    }
  }

  // The users: one per role, scoped as may_read() describes.
  const std::vector<RoleCase> roles{
      {"admin", "", false},
      {"program_manager", "program", true},
      {"project_manager", "project", false},
      {"finance_manager", "program", true},
      {"resource_manager", "global", false},
      {"viewer", "project", false},
  };
  std::map<std::string, HttpClient> clients;
  for (const auto& r : roles) {
    if (r.name == "admin") continue;
    const std::string scope_target = r.scope_type == "program"   ? side[0].program_id
                                     : r.scope_type == "project" ? side[0].project_id
                                                                 : "";
    clients.emplace(r.name, create_role_user(r.name, r.name, r.scope_type, scope_target).client);
  }

  for (const auto& role : roles) {
    HttpClient& c = role.name == "admin" ? admin_ : clients.at(role.name);
    for (const auto& coll : all_collections()) {
      const std::string context = role.name + " on " + coll;
      SCOPED_TRACE(context);
      const std::string base_url = "/api/v1/" + coll;
      // List: 403 for admin-only collections, else only what the role may read.
      auto r = c.get(base_url + "?limit=500");
      if (is_admin_only(coll) && role.name != "admin") {
        expect_problem(r, 403, "forbidden", "list");
      } else {
        ASSERT_EQ(r.status, 200) << r.body;
        std::set<std::string> listed;
        const auto page = r.object();
        for (const auto& item : page.at("items").as_array()) {
          listed.emplace(item.as_object().at("id").as_string());
        }
        for (Where w : {Where::a, Where::b}) {
          const auto& id = target[static_cast<int>(w)][coll];
          EXPECT_EQ(listed.count(id), may_read(role, coll, w) ? 1u : 0u)
              << "listed side " << static_cast<int>(w);
        }
      }
      for (Where w : {Where::a, Where::b}) {
        const std::string& id = target[static_cast<int>(w)][coll];
        const std::string url = base_url + "/" + id;
        const std::string where = w == Where::a ? " (in scope)" : " (out of scope)";
        const bool readable = may_read(role, coll, w);
        const int refused = is_admin_only(coll) ? 403 : 404;
        const std::string refused_error = refused == 403 ? "forbidden" : "not_found";
        // GET and history.
        r = c.get(url);
        if (readable) {
          EXPECT_EQ(r.status, 200) << "GET" << where << ": " << r.body;
        } else {
          expect_problem(r, refused, refused_error, "GET" + where);
        }
        r = c.get(url + "/history");
        if (readable) {
          EXPECT_EQ(r.status, 200) << "history" << where << ": " << r.body;
        } else {
          expect_problem(r, refused, refused_error, "history" + where);
        }
        // PATCH with the right version.
        const auto [field, value] = probe_change(coll, probe++);
        r = c.patch(url, json::object{{"version", version[id]}, {field, value}});
        if (may_update(role, coll, w)) {
          ASSERT_EQ(r.status, 200) << "PATCH" << where << ": " << r.body;
          version[id] = r.object().at("version").as_int64();
        } else if (readable) {
          expect_problem(r, 403, "forbidden", "PATCH" + where);
        } else {
          expect_problem(r, refused, refused_error, "PATCH" + where);
        }
        // DELETE with the right version, where it must be refused (allowed deletes are
        // tried on the role's own creations below).
        if (!may_delete(role, coll, w)) {
          r = c.del(url, {{"If-Match", quoted(version[id])}});
          if (readable) {
            expect_problem(r, 403, "forbidden", "DELETE" + where);
          } else {
            expect_problem(r, refused, refused_error, "DELETE" + where);
          }
        }
        EXPECT_EQ(current(coll, id).at("version"), version[id]) << "a refused write wrote";
      }
      // Create in scope (and, for scoped collections, out of scope).
      for (Where w : {Where::a, Where::b}) {
        if (w == Where::b && (is_organisation_wide(coll) || is_admin_only(coll))) continue;
        Parents p = side[static_cast<int>(w)];
        p.user_id = dummy.user_id;
        p.user_role_id = dummy.role_id;
        if (coll == "users") p = Parents{};
        json::object body = create_body(coll, p, n++);
        if (coll == "user-roles") body["role_type"] = "program_manager";
        if (coll == "scope-assignments") {
          body = {{"user_role_id", dummy.role_id},
                  {"scope_type", "program"},
                  {"program_id", p.program_id}};
        }
        r = c.post(base_url, body);
        if (may_create(role, coll, w)) {
          ASSERT_EQ(r.status, 201) << "create: " << r.body;
          const std::string id(r.object().at("id").as_string());
          r = c.del(base_url + "/" + id + "?version=1");
          EXPECT_EQ(r.status, 204) << "delete of its own creation: " << r.body;
        } else {
          expect_problem(r, 403, "forbidden",
                         std::string("create") + (w == Where::a ? " in scope" : " out of scope"));
        }
      }
    }
  }

  // A finance manager changes phase budgets only.
  {
    const auto& phase = target[0]["project-phases"];
    auto r = clients.at("finance_manager")
                 .patch("/api/v1/project-phases/" + phase,
                        json::object{{"version", version[phase]}, {"name", "Renamed"}});
    expect_problem(r, 403, "forbidden", "finance manager renames a phase");
    r = clients.at("finance_manager")
            .patch("/api/v1/project-phases/" + phase,
                   json::object{{"version", version[phase]}, {"expense_budget", "7.00"}});
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // A bulk item the caller may read but not write fails as forbidden; one it may not read
  // as not_found, without its state.
  {
    const auto& a = target[0]["resource-assignments"];
    const auto& b = target[1]["resource-assignments"];
    const auto r = clients.at("viewer").post(
        "/api/v1/resource-assignments/bulk-update",
        json::array{json::object{{"id", a}, {"version", version[a]}, {"capital_percentage", 1}},
                    json::object{{"id", b}, {"version", version[b]}, {"capital_percentage", 1}},
                    // Invalid items too: 404 and 403 come before 422 (API.md's order).
                    json::object{{"id", a}, {"version", version[a]}, {"capital_percentage", "x"}},
                    json::object{{"id", b}, {"version", "x"}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.object();
    const auto& failed = body.at("failed").as_array();
    ASSERT_EQ(failed.size(), 4u) << r.body;
    for (std::size_t i : {0u, 2u}) {
      EXPECT_EQ(failed[i].as_object().at("error"), "forbidden") << r.body;
      EXPECT_TRUE(failed[i].as_object().at("current_state").is_object());
    }
    for (std::size_t i : {1u, 3u}) {
      EXPECT_EQ(failed[i].as_object().at("error"), "not_found") << r.body;
      EXPECT_TRUE(failed[i].as_object().at("current_state").is_null());
    }
    EXPECT_EQ(current("resource-assignments", a).at("version"), version[a]);
    EXPECT_EQ(current("resource-assignments", b).at("version"), version[b]);
  }
  // auth/me shows the caller's roles and scopes.
  {
    const auto r = clients.at("program_manager").get("/api/v1/auth/me");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto me = r.object();
    EXPECT_EQ(me.at("username"), "program_manager");
    ASSERT_EQ(me.at("roles").as_array().size(), 1u) << r.body;
    const auto& role = me.at("roles").as_array()[0].as_object();
    EXPECT_EQ(role.at("role_type"), "program_manager");
    EXPECT_EQ(role.at("scope_type"), "program");
    EXPECT_EQ(role.at("program_id"), json::value(side[0].program_id));
  }
}

TEST_P(HttpAuth, RoleAndScopeChangesTakeEffectOnTheNextRequest) {
  Parents p = portfolio_program_project();
  p.worker_type_id =
      std::string(create("worker-types", create_body("worker-types", p, 1)).at("id").as_string());
  auto fin = create_role_user("fin", "finance_manager", "program", p.program_id);
  // Rates are organisation-wide: a program scope is not enough.
  expect_problem(fin.client.post("/api/v1/rates", create_body("rates", p, 1)), 403, "forbidden",
                 "rate under a program scope");
  // A global scope added by an admin counts at once.
  const auto global =
      create("scope-assignments", {{"user_role_id", fin.role_id}, {"scope_type", "global"}});
  auto r = fin.client.post("/api/v1/rates", create_body("rates", p, 1));
  ASSERT_EQ(r.status, 201) << r.body;
  // Deactivating that scope takes it away again.
  ASSERT_EQ(admin_
                .patch("/api/v1/scope-assignments/" + std::string(global.at("id").as_string()),
                       json::object{{"version", 1}, {"is_active", false}})
                .status,
            200);
  expect_problem(fin.client.post("/api/v1/rates", create_body("rates", p, 2)), 403, "forbidden",
                 "after the global scope was deactivated");
  // Deactivating the role leaves nothing but the organisation-wide reads.
  EXPECT_EQ(fin.client.get("/api/v1/projects/" + p.project_id).status, 200);
  ASSERT_EQ(admin_
                .patch("/api/v1/user-roles/" + fin.role_id,
                       json::object{{"version", 1}, {"is_active", false}})
                .status,
            200);
  expect_problem(fin.client.get("/api/v1/projects/" + p.project_id), 404, "not_found",
                 "after the role was deactivated");
  EXPECT_EQ(fin.client.get("/api/v1/worker-types/" + p.worker_type_id).status, 200);
}

// GET, PUT and PATCH of one entity check the token in the statement that reads the entity
// (EntityQueries::get_with_token, CommandHandler::update_as): they must answer exactly as
// the general path, 401 first.
TEST_P(HttpAuth, EntityByIdChecksTheTokenInTheStatementThatReadsIt) {
  Parents p = portfolio_program_project();
  const std::string phase_url =
      "/api/v1/project-phases/" +
      std::string(
          create("project-phases", create_body("project-phases", p, 1)).at("id").as_string());
  Parents other = p;
  other.program_id =
      std::string(create("programs", create_body("programs", p, 2)).at("id").as_string());

  // A phase is a project child: its program comes from its project, in the same read.
  auto inside = create_role_user("pm-in", "project_manager", "program", p.program_id);
  auto outside = create_role_user("pm-out", "project_manager", "program", other.program_id);
  auto r = inside.client.get(phase_url);
  ASSERT_EQ(r.status, 200) << r.body;
  expect_entity_shape(r.object(), "project-phases");
  expect_problem(outside.client.get(phase_url), 404, "not_found", "phase outside the scope");
  expect_problem(inside.client.get("/api/v1/project-phases/" + p.program_id), 404, "not_found",
                 "no phase has this id");

  // Bad tokens are 401 whether or not the entity exists: nothing about it leaks.
  HttpClient raw = client();
  for (const std::string& url : {phase_url, "/api/v1/project-phases/" + p.program_id}) {
    for (const std::string header : {std::string(), "Bearer " + std::string(43, 'A'),
                                     "Bearer " + inside.client.token() + "x"}) {
      Headers headers;
      if (!header.empty()) headers.emplace_back("Authorization", header);
      expect_unauthenticated(raw.get(url, headers), url + " with '" + header.substr(0, 10) + "'");
    }
  }

  // Updates check the token in the statement that loads the entity: the same answers.
  const auto [field, value] = probe_change("project-phases", 3);
  r = inside.client.patch(phase_url, json::object{{"version", 1}, {field, value}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.object().at("version"), 2);
  expect_problem(outside.client.patch(phase_url, json::object{{"version", 2}, {field, value}}), 404,
                 "not_found", "update outside the scope");
  expect_problem(inside.client.patch(phase_url, json::object{{"version", 1}, {field, value}}), 409,
                 "conflict", "stale update");
  expect_problem(inside.client.patch(phase_url, json::object{{"version", 2}, {"nope", 1}}), 422,
                 "validation", "unknown field, valid token");
  for (const std::string header : {std::string(), "Bearer " + std::string(43, 'A')}) {
    Headers headers;
    if (!header.empty()) headers.emplace_back("Authorization", header);
    // 401 comes before every other answer, a malformed body's included.
    expect_unauthenticated(
        raw.patch(phase_url, json::object{{"version", 2}, {field, value}}, headers),
        "update with '" + header.substr(0, 10) + "'");
    expect_unauthenticated(raw.patch(phase_url, json::object{{"version", 2}, {"nope", 1}}, headers),
                           "invalid update with '" + header.substr(0, 10) + "'");
    expect_unauthenticated(raw.put(phase_url, json::value(42), headers), "PUT of a number");
    expect_unauthenticated(raw.post("/api/v1/project-phases", json::object{{"nope", 1}}, headers),
                           "invalid create with '" + header.substr(0, 10) + "'");
  }
  // Creates too: in scope 201, its retry with the same id 200, outside the scope 403.
  json::object phase = create_body("project-phases", p, 5);
  r = inside.client.post("/api/v1/project-phases", phase);
  ASSERT_EQ(r.status, 201) << r.body;
  phase["id"] = r.object().at("id");
  EXPECT_EQ(inside.client.post("/api/v1/project-phases", phase).status, 200);
  expect_problem(outside.client.post("/api/v1/project-phases", create_body("project-phases", p, 6)),
                 403, "forbidden", "create outside the scope");
  expect_problem(inside.client.post("/api/v1/project-phases", json::object{{"nope", 1}}), 422,
                 "validation", "invalid create, valid token");
  EXPECT_EQ(current("project-phases", phase_url.substr(phase_url.rfind('/') + 1)).at("version"), 2)
      << "a refused update wrote something";

  // Deactivating the user stops its token on the next read and the next update.
  const auto user = current("users", inside.user_id);
  ASSERT_EQ(admin_
                .patch("/api/v1/users/" + inside.user_id,
                       json::object{{"version", user.at("version")}, {"is_active", false}})
                .status,
            200);
  expect_unauthenticated(inside.client.get(phase_url), "after the user was deactivated");
  expect_unauthenticated(
      inside.client.patch(phase_url, json::object{{"version", 2}, {field, value}}),
      "update after the user was deactivated");
  EXPECT_EQ(current("project-phases", phase_url.substr(phase_url.rfind('/') + 1)).at("version"), 2);
  // The HEAD of the same address authenticates the same way.
  const auto head = outside.client.send({"HEAD", phase_url, "", {}});
  EXPECT_EQ(head.status, 404);
  EXPECT_TRUE(head.body.empty());
}

// Each server remembers the actors behind tokens (commands/actor_cache.h). A change made
// through another server on the same database (here: a second `folio serve`) must still
// take effect on the very next request here: the access epoch read with each request.
TEST_P(HttpAuth, RememberedActorsFollowChangesMadeThroughAnotherServer) {
  Parents p = portfolio_program_project();
  auto pm = create_role_user("pm", "program_manager", "program", p.program_id);
  const std::string project_url = "/api/v1/projects/" + p.project_id;
  const std::string program_url = "/api/v1/programs/" + p.program_id;
  // This server has served the user (and so remembers the actor) for reads and writes.
  ASSERT_EQ(pm.client.get(project_url).status, 200);
  ASSERT_EQ(pm.client.get("/api/v1/projects").status, 200);
  ASSERT_EQ(pm.client.patch(project_url, json::object{{"version", 1}, {"name", "Renamed"}}).status,
            200);

  ServerProcess other({db_->url(), {}, false});
  ASSERT_NE(other.port(), 0);
  HttpClient other_admin(other.port());
  other_admin.set_token(admin_.token());

  // A role deactivated there: here the program's entities are out of reach at once.
  ASSERT_EQ(other_admin
                .patch("/api/v1/user-roles/" + pm.role_id,
                       json::object{{"version", 1}, {"is_active", false}})
                .status,
            200);
  expect_problem(pm.client.get(project_url), 404, "not_found", "after the role went (GET)");
  expect_problem(pm.client.patch(project_url, json::object{{"version", 2}, {"name", "Again"}}), 404,
                 "not_found", "after the role went (PATCH)");
  EXPECT_TRUE(pm.client.get("/api/v1/projects").object().at("items").as_array().empty());
  // Active again there: back here too.
  ASSERT_EQ(other_admin
                .patch("/api/v1/user-roles/" + pm.role_id,
                       json::object{{"version", 2}, {"is_active", true}})
                .status,
            200);
  ASSERT_EQ(pm.client.get(program_url).status, 200);

  // The user deactivated there: every request here is 401 from the next one on.
  const auto user = other_admin.get("/api/v1/users/" + pm.user_id).object();
  ASSERT_EQ(other_admin
                .patch("/api/v1/users/" + pm.user_id,
                       json::object{{"version", user.at("version")}, {"is_active", false}})
                .status,
            200);
  expect_unauthenticated(pm.client.get(project_url), "deactivated elsewhere (GET by id)");
  expect_unauthenticated(pm.client.get("/api/v1/projects"), "deactivated elsewhere (list)");
  expect_unauthenticated(pm.client.patch(project_url, json::object{{"version", 2}, {"name", "X"}}),
                         "deactivated elsewhere (PATCH)");
  EXPECT_EQ(current("projects", p.project_id).at("name"), "Renamed");
}

// A new password ends the user's tokens on every server with the change, though this server
// remembers the actor; the new password logs in, the old one no longer does.
TEST_P(HttpAuth, APasswordChangeEndsTheUsersTokensOnEveryServer) {
  Parents p = portfolio_program_project();
  auto pm = create_role_user("pm", "program_manager", "program", p.program_id);
  auto second_session = login("pm", pm.password);
  const std::string project_url = "/api/v1/projects/" + p.project_id;
  ASSERT_EQ(pm.client.get(project_url).status, 200);  // remembered here
  ASSERT_EQ(second_session.get(project_url).status, 200);

  ServerProcess other({db_->url(), {}, false});
  ASSERT_NE(other.port(), 0);
  HttpClient other_admin(other.port());
  other_admin.set_token(admin_.token());
  const auto user = other_admin.get("/api/v1/users/" + pm.user_id).object();
  ASSERT_EQ(
      other_admin
          .patch("/api/v1/users/" + pm.user_id,
                 json::object{{"version", user.at("version")}, {"password", "a-new-password-2"}})
          .status,
      200);
  expect_unauthenticated(pm.client.get(project_url), "after the password changed (GET by id)");
  expect_unauthenticated(second_session.get("/api/v1/projects"), "the other token (list)");
  expect_unauthenticated(pm.client.patch(project_url, json::object{{"version", 1}, {"name", "X"}}),
                         "after the password changed (PATCH)");
  EXPECT_EQ(current("projects", p.project_id).at("version"), 1);
  expect_unauthenticated(client().post("/api/v1/auth/token",
                                       json::object{{"username", "pm"}, {"password", pm.password}}),
                         "the old password");
  auto renewed = login("pm", "a-new-password-2");
  EXPECT_EQ(renewed.get(project_url).status, 200);
  // Other users' tokens are untouched, the admin's included.
  EXPECT_EQ(admin_.get(project_url).status, 200);
}

// Passwords (users', wrong ones, the database's) and tokens never reach the server's log
// or an answer, whatever the request: logins, user writes, a 409 on a user, bad tokens.
TEST_P(HttpAuth, SecretsNeverReachTheLogOrAnAnswer) {
  std::string url = db_->url();
  const std::string db_password = "db-secret-3141";
  if (GetParam() == Backend::postgres) {  // the test cluster trusts local connections
    url.insert(url.find('@'), ":" + db_password);
  }
  ServerProcess server({url, {}, false});
  ASSERT_NE(server.port(), 0);
  std::vector<HttpResponse> answers;
  HttpClient c(server.port());
  answers.push_back(c.post("/api/v1/auth/token", json::object{{"username", kAdminUsername},
                                                              {"password", "wrong-secret-2718"}}));
  answers.push_back(c.post("/api/v1/auth/token", json::object{{"username", "nobody"},
                                                              {"password", "wrong-secret-2719"}}));
  answers.push_back(c.post("/api/v1/auth/token", json::object{{"username", kAdminUsername},
                                                              {"password", kAdminPassword}}));
  ASSERT_EQ(answers.back().status, 200);
  const std::string token(answers.back().object().at("access_token").as_string());
  c.set_token(token);
  answers.push_back(c.post("/api/v1/users", json::object{{"username", "dora"},
                                                         {"email", "dora@example.com"},
                                                         {"password", "user-secret-1618"}}));
  ASSERT_EQ(answers.back().status, 201) << answers.back().body;
  const std::string dora =
      "/api/v1/users/" + std::string(answers.back().object().at("id").as_string());
  answers.push_back(c.patch(dora, json::object{{"version", 1}, {"password", "user-secret-1414"}}));
  ASSERT_EQ(answers.back().status, 200);
  answers.push_back(c.patch(dora, json::object{{"version", 1}, {"password", "user-secret-1732"}}));
  EXPECT_EQ(answers.back().status, 409);
  answers.push_back(c.patch(dora, json::object{{"version", 2}, {"password", "short"}}));
  EXPECT_EQ(answers.back().status, 422);
  HttpClient bogus(server.port());
  bogus.set_token("bogus-token-secret-9999");
  answers.push_back(bogus.get(dora));
  answers.push_back(bogus.get("/no/such/route"));
  ASSERT_EQ(server.terminate(), 0);  // every log line written

  const std::string log = server.stdout_text() + server.stderr_text();
  ASSERT_NE(log.find("\"event\":\"request\""), std::string::npos) << "no access log to search";
  for (const std::string secret :
       {db_password, std::string(kAdminPassword), std::string("wrong-secret-2718"),
        std::string("wrong-secret-2719"), std::string("user-secret-1618"),
        std::string("user-secret-1414"), std::string("user-secret-1732"), std::string("short\""),
        token, std::string("bogus-token-secret-9999")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " is in the log";
    for (const auto& answer : answers) {
      if (secret == token && answer.body.find("access_token") != std::string::npos) continue;
      EXPECT_EQ(answer.body.find(secret), std::string::npos) << secret << " in " << answer.body;
    }
  }
}

// A token revoked in the store itself (an operator's DELETE of auth_tokens), or its user
// deactivated by hand, stops at once, though this server remembers the actor.
TEST_P(HttpAuth, TokensRevokedInTheStoreStopAtOnceThoughRemembered) {
  auto reader = create_role_user("reader", "program_manager", "global", "");
  auto second = login(reader.username, reader.password);
  ASSERT_EQ(reader.client.get("/api/v1/portfolios").status, 200);
  ASSERT_EQ(second.get("/api/v1/portfolios").status, 200);
  auto store = db_->open_store();
  store->transact(store::Access::read_write, [&](store::Transaction& tx) {
    static constexpr const char* kRevoke = "DELETE FROM auth_tokens WHERE token_hash = $1";
    const std::vector<store::SqlValue> params{http::sha256_hex(second.token())};
    EXPECT_EQ(tx.execute(kRevoke, params), 1u);
    return store::Verdict::commit;
  });
  expect_unauthenticated(second.get("/api/v1/portfolios"), "revoked token (list)");
  expect_unauthenticated(second.get("/api/v1/users/" + reader.user_id), "revoked token (by id)");
  // The user's other token is untouched.
  EXPECT_EQ(reader.client.get("/api/v1/portfolios").status, 200);
  // A user deactivated by hand in the read model (as a program other than Folio could):
  // the trigger moves the epoch, so the remembered actor is not trusted either.
  store->transact(store::Access::read_write, [&](store::Transaction& tx) {
    static constexpr const char* kDeactivate = "UPDATE users SET is_active = 0 WHERE id = $1";
    const std::vector<store::SqlValue> params{reader.user_id};
    EXPECT_EQ(tx.execute(kDeactivate, params), 1u);
    return store::Verdict::commit;
  });
  expect_unauthenticated(reader.client.get("/api/v1/portfolios"), "deactivated by hand");
}

// API.md "Order of checks on a write": 401, then 404 (exists within read scope), then 403
// (allowed), then 422 (request valid), then 409 conflict (version), then 409 constraint.
// Each answer below would be a later one's if the checks ran in another order.
TEST_P(HttpAuth, AWriteIsCheckedInTheDocumentedOrder) {
  Parents p = portfolio_program_project();
  auto viewer = create_role_user("vera", "viewer", "program", p.program_id);
  const std::string project = "/api/v1/projects/" + p.project_id;
  const std::string elsewhere = "/api/v1/projects/" + random_uuid();
  const json::object bad_body{{"version", 1}, {"no_such_field", 1}, {"name", 7}};
  const json::object stale{{"version", 9}, {"name", "Stale"}};

  expect_problem(client().patch(project, bad_body), 401, "unauthenticated", "no token first");
  expect_problem(viewer.client.patch(elsewhere, bad_body), 404, "not_found", "then existence");
  expect_problem(viewer.client.patch(project, bad_body), 403, "forbidden",
                 "a writer who may not write gets 403 whatever the body");
  expect_problem(viewer.client.patch(project, stale), 403, "forbidden",
                 "a viewer with a stale version: 403, not the conflict");
  expect_problem(viewer.client.del(project + "?version=9"), 403, "forbidden", "delete, stale");
  expect_problem(viewer.client.post("/api/v1/projects", json::object{{"no_such_field", 1}}), 403,
                 "forbidden", "a create the role may not make, with a bad body");
  expect_problem(admin_.patch(project, json::object{{"version", 9}, {"no_such_field", 1}}), 422,
                 "validation", "an allowed writer: the body before the version");
  expect_problem(admin_.patch(project, stale), 409, "conflict", "then the version");
  EXPECT_EQ(current("projects", p.project_id).at("version"), 1) << "nothing written";
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpAuth, ::testing::Values(Backend::sqlite, Backend::postgres),
                         backend_name_of);

}  // namespace
}  // namespace folio::http_test
