// Every endpoint of API.md "Collections" for every one of the 13 collections, over the
// wire: create (201, Location, ETag "1", retried create 200), get (ETag, at_version), list
// (limit, cursor, foreign-key filters), PUT and PATCH (version in the body, If-Match, both,
// disagreeing, missing, stale), history, delete (If-Match and ?version=), 404 after delete,
// 409 with current_state null on writes to a deleted entity.
#include <regex>
#include <set>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

class HttpCrud : public HttpApiTest {};

struct Made {
  std::string id, second_id;
  json::object body;                // the create body (with id)
  json::object created;             // the 201 representation
  std::vector<json::value> probes;  // probe values written at versions 2, 3, 4
  std::string probe_field;
};

void expect_fields_equal(const json::object& body, const json::object& entity,
                         const std::string& context) {
  for (const auto& member : body) {
    if (member.key() == "password") continue;
    EXPECT_EQ(entity.if_contains(member.key()) ? entity.at(member.key()) : json::value("<absent>"),
              member.value())
        << context << ": field " << member.key();
  }
}

TEST_P(HttpCrud, EveryEndpointOfEveryCollection) {
  std::map<std::string, Made> made;
  Parents parents;

  // ---- Create, read, update, history and list, parents first ----------------------------
  for (const auto& c : all_collections()) {
    SCOPED_TRACE(c);
    const std::string base = "/api/v1/" + c;
    Made& m = made[c];
    m.id = random_uuid();
    m.body = create_body(c, parents, 1);
    m.body["id"] = m.id;

    auto r = admin_.post(base, m.body);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.header("Location"), base + "/" + m.id);
    EXPECT_EQ(r.header("ETag"), "\"1\"");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    m.created = r.object();
    expect_entity_shape(m.created, c);
    EXPECT_EQ(m.created.at("id"), json::value(m.id));
    EXPECT_EQ(m.created.at("version"), 1);
    expect_fields_equal(m.body, m.created, "create");
    if (c == "project-phases") {
      EXPECT_EQ(m.created.at("total_budget"), "1500.00");
    }
    EXPECT_LE(std::string(m.created.at("created_at").as_string()),
              std::string(m.created.at("updated_at").as_string()));

    // A retried create (same id, same fields) answers the existing entity, 200.
    r = admin_.post(base, m.body);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("ETag"), "\"1\"");
    EXPECT_EQ(r.json(), json::value(m.created));
    // The same id with other fields: 409 constraint, nothing written.
    json::object other = create_body(c, parents, 2);
    other["id"] = m.id;
    expect_problem(admin_.post(base, other), 409, "constraint", "same id, other fields");
    // version must be absent or 1 on create.
    json::object with_version = create_body(c, parents, 2);
    with_version["version"] = 2;
    expect_problem(admin_.post(base, with_version), 422, "validation", "create with version 2");
    // A second entity with a server-chosen id (created with "version": 1).
    json::object second = create_body(c, parents, 2);
    second["version"] = 1;
    r = admin_.post(base, second);
    ASSERT_EQ(r.status, 201) << r.body;
    m.second_id = std::string(r.object().at("id").as_string());
    EXPECT_EQ(r.header("Location"), base + "/" + m.second_id);
    EXPECT_NE(m.second_id, m.id);

    // GET with ETag.
    r = admin_.get(base + "/" + m.id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("ETag"), "\"1\"");
    EXPECT_EQ(r.json(), json::value(m.created));

    // PATCH with the version in the body.
    auto [field, v1] = probe_change(c, 11);
    m.probe_field = field;
    m.probes = {v1, probe_change(c, 12).second, probe_change(c, 13).second};
    r = admin_.patch(base + "/" + m.id, json::object{{"version", 1}, {field, v1}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("ETag"), "\"2\"");
    auto updated = r.object();
    expect_entity_shape(updated, c);
    EXPECT_EQ(updated.at("version"), 2);
    EXPECT_EQ(updated.at(field), v1);
    EXPECT_EQ(updated.at("created_at"), m.created.at("created_at"));
    EXPECT_GE(std::string(updated.at("updated_at").as_string()),
              std::string(m.created.at("updated_at").as_string()));
    // PUT with If-Match instead.
    r = admin_.put(base + "/" + m.id, json::object{{field, m.probes[1]}}, {{"If-Match", "\"2\""}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("ETag"), "\"3\"");
    EXPECT_EQ(r.object().at("version"), 3);
    // Both, agreeing (a weak validator is read the same).
    r = admin_.patch(base + "/" + m.id, json::object{{"version", 3}, {field, m.probes[2]}},
                     {{"If-Match", "W/\"3\""}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.object().at("version"), 4);
    // Both, disagreeing: 422, nothing written.
    expect_problem(admin_.patch(base + "/" + m.id, json::object{{"version", 4}, {field, v1}},
                                {{"If-Match", "\"3\""}}),
                   422, "validation", "body and If-Match disagree");
    // No version at all: 422 naming it.
    r = admin_.patch(base + "/" + m.id, json::object{{field, v1}});
    expect_problem(r, 422, "validation", "missing version");
    if (r.status == 422) {
      bool names_version = false;
      const auto problem = r.object();
      for (const auto& e : problem.at("errors").as_array()) {
        names_version |= e.as_object().at("field") == "version";
      }
      EXPECT_TRUE(names_version) << r.body;
    }
    // A stale version: 409 with the body of API.md.
    r = admin_.patch(base + "/" + m.id, json::object{{"version", 2}, {field, v1}});
    expect_version_conflict(r, c, m.id, 2, 4, false, "stale PATCH");
    if (r.status == 409) {
      EXPECT_EQ(r.object().at("attempted_changes"), (json::object{{field, v1}})) << r.body;
    }
    // A body that changes nothing still succeeds and still increments the version.
    r = admin_.put(base + "/" + m.id, json::object{{"version", 4}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.object().at("version"), 5);
    EXPECT_EQ(current(c, m.id).at("version"), 5);

    // at_version: the state as of a version, from the event history.
    r = admin_.get(base + "/" + m.id + "?at_version=1");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("ETag"), "\"1\"");
    {
      auto old = r.object();
      EXPECT_EQ(old.at("version"), 1);
      expect_fields_equal(m.body, old, "at_version=1");
      EXPECT_EQ(old.at("created_at"), m.created.at("created_at"));
    }
    r = admin_.get(base + "/" + m.id + "?at_version=3");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.object().at("version"), 3);
    EXPECT_EQ(r.object().at(field), m.probes[1]);
    expect_problem(admin_.get(base + "/" + m.id + "?at_version=6"), 404, "not_found",
                   "at_version beyond the current version");
    expect_problem(admin_.get(base + "/" + m.id + "?at_version=0"), 400, "bad_request",
                   "at_version=0");
    expect_problem(admin_.get(base + "/" + m.id + "?at_version=x"), 400, "bad_request",
                   "at_version=x");

    // History, oldest first.
    const auto items = history(c, m.id);
    ASSERT_EQ(items.size(), 5u);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& e = items[i].as_object();
      EXPECT_EQ(e.at("version"), static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(e.at("event_type"),
                json::value(event_prefix_of(c) + (i == 0 ? "Created" : "Updated")));
      EXPECT_EQ(e.at("user_id"), json::value(admin_id_));
      EXPECT_TRUE(std::regex_match(std::string(e.at("recorded_at").as_string()),
                                   std::regex(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)")))
          << e.at("recorded_at");
      EXPECT_TRUE(e.at("changes").is_object());
    }
    EXPECT_EQ(items[1].as_object().at("changes").as_object().at(field).as_object().at("to"), v1);
    EXPECT_EQ(items[2].as_object().at("changes").as_object().at(field),
              (json::object{{"from", v1}, {"to", m.probes[1]}}));
    EXPECT_EQ(items[4].as_object().at("changes"), json::object{});
    EXPECT_EQ(items[0].as_object().at("changes").as_object().count("password"), 0u);

    // Lists: one item per page, following the cursor, every item with its version.
    std::vector<std::string> paged;
    std::string cursor;
    for (int page = 0; page < 20; ++page) {
      const std::string target = base + "?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor);
      r = admin_.get(target);
      ASSERT_EQ(r.status, 200) << target << ": " << r.body;
      const auto body = r.object();
      const auto& page_items = body.at("items").as_array();
      EXPECT_LE(page_items.size(), 1u);
      for (const auto& item : page_items) {
        expect_entity_shape(item.as_object(), c);
        paged.emplace_back(item.as_object().at("id").as_string());
      }
      if (body.at("next_cursor").is_null()) break;
      cursor = std::string(body.at("next_cursor").as_string());
    }
    EXPECT_TRUE(cursor.empty() || !paged.empty());
    EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), paged.size())
        << "a page repeated an item";
    EXPECT_EQ(std::count(paged.begin(), paged.end(), m.id), 1);
    EXPECT_EQ(std::count(paged.begin(), paged.end(), m.second_id), 1);
    const auto all = list_ids(c);
    EXPECT_EQ(paged, all);
    // Foreign-key filters.
    for (const auto& ref : reference_fields_of(c)) {
      const auto* value = m.body.if_contains(ref);
      if (!value || !value->is_string()) continue;
      const auto filtered = list_ids(c, ref + "=" + std::string(value->as_string()));
      EXPECT_EQ(std::count(filtered.begin(), filtered.end(), m.id), 1) << ref;
      r = admin_.get(base + "?" + ref + "=" + std::string(value->as_string()));
      const auto page = r.object();
      for (const auto& item : page.at("items").as_array()) {
        EXPECT_EQ(item.as_object().at(ref), *value) << ref;
      }
      EXPECT_TRUE(list_ids(c, ref + "=" + random_uuid()).empty()) << ref;
    }

    // The next collections refer to the first entity of this one.
    if (c == "portfolios") parents.portfolio_id = m.id;
    if (c == "programs") parents.program_id = m.id;
    if (c == "projects") parents.project_id = m.id;
    if (c == "resources") parents.resource_id = m.id;
    if (c == "worker-types") parents.worker_type_id = m.id;
    if (c == "workers") parents.worker_id = m.id;
    if (c == "resource-assignments") parents.resource_assignment_id = m.id;
    if (c == "users") parents.user_id = m.id;
    if (c == "user-roles") parents.user_role_id = m.id;
  }

  // ---- A parent with children cannot be deleted: 409 constraint, nothing written --------
  {
    const auto r = admin_.del("/api/v1/projects/" + made["projects"].id, {{"If-Match", "\"5\""}});
    expect_problem(r, 409, "constraint", "delete of a project with children");
    EXPECT_EQ(current("projects", made["projects"].id).at("version"), 5);
  }

  // ---- Delete, children first ------------------------------------------------------------
  const auto& collections = all_collections();
  for (std::size_t k = collections.size(); k-- > 0;) {
    const std::string& c = collections[k];
    SCOPED_TRACE(c);
    const std::string base = "/api/v1/" + c;
    const Made& m = made[c];
    const std::string url = base + "/" + m.id;

    // Stale: 409, with attempted_changes empty.
    auto r = admin_.del(url, {{"If-Match", "\"4\""}});
    expect_version_conflict(r, c, m.id, 4, 5, false, "stale DELETE");
    if (r.status == 409) {
      EXPECT_EQ(r.object().at("attempted_changes"), json::object{});
    }
    // No version: 422.
    expect_problem(admin_.del(url), 422, "validation", "DELETE without a version");
    // By If-Match or by ?version=, alternately.
    r = k % 2 == 0 ? admin_.del(url, {{"If-Match", "\"5\""}}) : admin_.del(url + "?version=5");
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_TRUE(r.body.empty());
    // Gone for reads, still in the history.
    expect_problem(admin_.get(url), 404, "not_found", "GET after delete");
    const auto items = history(c, m.id);
    ASSERT_EQ(items.size(), 6u);
    EXPECT_EQ(items.back().as_object().at("version"), 6);
    EXPECT_EQ(items.back().as_object().at("event_type"),
              json::value(event_prefix_of(c) + "Deleted"));
    // Writes to a deleted entity: 409 conflict with current_state null.
    r = admin_.patch(url, json::object{{"version", 5}, {m.probe_field, m.probes[0]}});
    expect_version_conflict(r, c, m.id, 5, 6, true, "PATCH of a deleted entity");
    r = admin_.del(url + "?version=5");
    expect_version_conflict(r, c, m.id, 5, 6, true, "DELETE of a deleted entity");
    EXPECT_EQ(history(c, m.id).size(), 6u);
    const auto ids = list_ids(c);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), m.id), 0);

    // The second entity goes too, so that the parents can.
    const auto second = current(c, m.second_id);
    ASSERT_FALSE(second.empty());
    r = admin_.del(base + "/" + m.second_id,
                   {{"If-Match", quoted(second.at("version").as_int64())}});
    ASSERT_EQ(r.status, 204) << r.body;
  }
  expect_healthy();
}

TEST_P(HttpCrud, KeepAliveAndOneConnectionPerRequestBothWork) {
  HttpClient per_request = client(false);
  per_request.set_token(admin_.token());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(per_request.get("/api/v1/portfolios").status, 200);
  }
  EXPECT_EQ(per_request.connections_opened(), 3);
  HttpClient kept = client(true);
  kept.set_token(admin_.token());
  for (int i = 0; i < 3; ++i) {
    const auto r = kept.get("/api/v1/portfolios");
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(kept.connections_opened(), 1);

  // Two pipelined requests on one connection: two responses, in order.
  const std::string two =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
      "GET /api/v1/nothing-here HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n"
      "Connection: close\r\n\r\n";
  const std::string raw = raw_exchange(port(), two);
  const auto first = raw.find("X-Request-Id: first");
  const auto second = raw.find("X-Request-Id: second");
  EXPECT_EQ(raw_status(raw), 200) << raw;
  EXPECT_NE(first, std::string::npos) << raw;
  EXPECT_NE(second, std::string::npos) << raw;
  EXPECT_LT(first, second);
  EXPECT_NE(raw.find("HTTP/1.1 401"), std::string::npos) << raw;

  // HTTP/1.0 without keep-alive: answered, then closed.
  const std::string old = raw_exchange(port(), "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.rfind("HTTP/1.0 200", 0) == 0 || old.rfind("HTTP/1.1 200", 0) == 0, true) << old;
}

TEST_P(HttpCrud, RoutesAnswer404And405AsProblems) {
  expect_problem(admin_.get("/api/v1/no-such-collection"), 404, "not_found", "unknown collection");
  expect_problem(admin_.get("/nowhere"), 404, "not_found", "unknown path");
  expect_problem(admin_.get("/api/v1/projects/" + random_uuid()), 404, "not_found", "unknown id");
  expect_problem(admin_.get("/api/v1/projects/" + random_uuid() + "/history"), 404, "not_found",
                 "history of an unknown id");
  expect_problem(admin_.get("/api/v1/projects/" + random_uuid() + "/nothing"), 404, "not_found",
                 "unknown sub-resource");
  auto r = admin_.del("/api/v1/projects");
  expect_problem(r, 405, "method_not_allowed", "DELETE on a collection");
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, POST");
  r = admin_.post("/api/v1/projects/" + random_uuid(), json::object{});
  expect_problem(r, 405, "method_not_allowed", "POST on an entity");
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, PUT, PATCH, DELETE");
  r = admin_.get("/api/v1/resource-assignments/bulk-update");
  expect_problem(r, 405, "method_not_allowed", "GET on bulk-update");
  EXPECT_EQ(r.header("Allow"), "POST");
  r = admin_.post("/healthz", json::object{});
  expect_problem(r, 405, "method_not_allowed", "POST on healthz");
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
  r = admin_.get("/api/v1/auth/token");
  expect_problem(r, 405, "method_not_allowed", "GET on auth/token");
  EXPECT_EQ(r.header("Allow"), "POST");
}

TEST_P(HttpCrud, HeadAnswersTheHeadersOfGet) {
  const auto portfolio = create("portfolios", create_body("portfolios", {}, 1));
  const std::string url = "/api/v1/portfolios/" + std::string(portfolio.at("id").as_string());
  for (const std::string& target :
       {url, std::string("/api/v1/portfolios"), std::string("/healthz")}) {
    SCOPED_TRACE(target);
    const auto get = admin_.get(target);
    const auto head = admin_.send({"HEAD", target, "", {}});
    ASSERT_EQ(get.status, 200);
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.header("Content-Length"), std::to_string(get.body.size()));
    EXPECT_EQ(head.header("Content-Type"), get.header("Content-Type"));
    EXPECT_EQ(head.header("ETag"), get.header("ETag"));
  }
  // The connection is still usable after a HEAD.
  EXPECT_EQ(admin_.get(url).status, 200);
  EXPECT_EQ(admin_.connections_opened(), 1);
  const auto missing = admin_.send({"HEAD", "/api/v1/portfolios/" + random_uuid(), "", {}});
  EXPECT_EQ(missing.status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpCrud, ::testing::Values(Backend::sqlite, Backend::postgres),
                         backend_name_of);

}  // namespace
}  // namespace folio::http_test
