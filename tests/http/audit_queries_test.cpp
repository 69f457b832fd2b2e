// Audit queries (docs/api.md "Audit queries"): a collection as it stood at a past time
// (?as_of=), built from the events, and the field-level changes across every entity in the
// global order (GET /api/v1/changes), filtered by time, user and entity type.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

using testing::Backend;

std::string id_of(const json::object& entity) { return std::string(entity.at("id").as_string()); }

class HttpAuditQueries : public HttpApiTest {
 protected:
  // The items of a GET that must answer 200.
  json::array items(HttpClient& c, const std::string& target) {
    const auto r = c.get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    if (r.status != 200) return {};
    return r.object().at("items").as_array();
  }
  static std::vector<std::string> ids(const json::array& list) {
    std::vector<std::string> out;
    for (const auto& e : list) out.push_back(id_of(e.as_object()));
    std::sort(out.begin(), out.end());
    return out;
  }
  // Server times have milliseconds: a pause makes the next write's time a later one.
  static void next_millisecond() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }
};

TEST_P(HttpAuditQueries, ACollectionAsOfATimeIsAsItStoodThen) {
  Parents a;
  const auto first = create("portfolios", create_body("portfolios", a, 1));
  const auto second = create("portfolios", create_body("portfolios", a, 2));
  a.portfolio_id = id_of(first);
  const auto program = create("programs", create_body("programs", a, 1));
  const std::string then(program.at("created_at").as_string());
  next_millisecond();

  // Afterwards: the program changes its name and moves to the second portfolio, another
  // program is created, the second portfolio... stays; a third portfolio comes and goes.
  const std::string program_url = "/api/v1/programs/" + id_of(program);
  ASSERT_EQ(admin_.patch(program_url, json::object{{"version", 1}, {"name", "Renamed"}}).status,
            200);
  ASSERT_EQ(
      admin_.patch(program_url, json::object{{"version", 2}, {"portfolio_id", second.at("id")}})
          .status,
      200);
  create("programs", create_body("programs", a, 2));
  const auto third = create("portfolios", create_body("portfolios", a, 3));
  next_millisecond();
  ASSERT_EQ(admin_.del("/api/v1/portfolios/" + id_of(third) + "?version=1").status, 204);
  const auto gone = create("portfolios", create_body("portfolios", a, 4));

  // Then: two portfolios, one program as it was (version 1, its first name, in the first
  // portfolio); what came later is absent.
  EXPECT_EQ(ids(items(admin_, "/api/v1/portfolios?as_of=" + then)),
            (std::vector<std::string>{std::min(id_of(first), id_of(second)),
                                      std::max(id_of(first), id_of(second))}));
  const auto programs = items(admin_, "/api/v1/programs?as_of=" + then);
  ASSERT_EQ(programs.size(), 1u);
  EXPECT_EQ(programs[0].as_object(), program) << "the representation GET gave then";
  // Filters apply to the state then, not now.
  EXPECT_EQ(
      items(admin_, "/api/v1/programs?as_of=" + then + "&portfolio_id=" + id_of(first)).size(), 1u);
  EXPECT_TRUE(
      items(admin_, "/api/v1/programs?as_of=" + then + "&portfolio_id=" + id_of(second)).empty());
  EXPECT_EQ(items(admin_, "/api/v1/programs?portfolio_id=" + id_of(second)).size(), 1u);

  // A deleted entity is listed as it was while it existed; before anything, nothing; a
  // time to come is now.
  const std::string while_third_lived(third.at("created_at").as_string());
  const auto at_third = ids(items(admin_, "/api/v1/portfolios?as_of=" + while_third_lived));
  EXPECT_EQ(at_third.size(), 3u);
  EXPECT_TRUE(std::count(at_third.begin(), at_third.end(), id_of(third)));
  EXPECT_TRUE(items(admin_, "/api/v1/portfolios?as_of=2020-01-01").empty());
  EXPECT_EQ(ids(items(admin_, "/api/v1/portfolios?as_of=2999-01-01T00:00:00Z")),
            ids(items(admin_, "/api/v1/portfolios")));
  EXPECT_EQ(ids(items(admin_, "/api/v1/portfolios")).size(), 3u);
  (void)gone;

  // Pages: a cursor as for today's lists.
  const auto page = admin_.get("/api/v1/portfolios?limit=1&as_of=" + then).object();
  ASSERT_EQ(page.at("items").as_array().size(), 1u);
  ASSERT_TRUE(page.at("next_cursor").is_string());
  const auto rest = items(admin_, "/api/v1/portfolios?limit=1&as_of=" + then +
                                      "&cursor=" + std::string(page.at("next_cursor").as_string()));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_NE(rest[0].at("id"), page.at("items").as_array()[0].at("id"));

  for (const std::string bad : {"yesterday", "2026-13-01", "2026-12-05T25:00:00Z", ""}) {
    expect_problem(admin_.get("/api/v1/portfolios?as_of=" + bad), 400, "bad_request", bad);
  }
}

TEST_P(HttpAuditQueries, ChangesListFieldLevelChangesInOrderByTimeUserAndType) {
  Parents a;
  a.portfolio_id = id_of(create("portfolios", create_body("portfolios", a, 1)));
  const auto program = create("programs", create_body("programs", a, 1));
  const std::string program_url = "/api/v1/programs/" + id_of(program);
  auto manager = create_role_user("pm", "program_manager", "program", id_of(program));
  next_millisecond();
  const auto since =
      std::string(admin_.patch(program_url, json::object{{"version", 1}, {"name", "Second name"}})
                      .object()
                      .at("updated_at")
                      .as_string());
  next_millisecond();
  const auto by_manager =
      manager.client.patch(program_url, json::object{{"version", 2}, {"name", "Third name"}});
  ASSERT_EQ(by_manager.status, 200) << by_manager.body;
  const std::string until(by_manager.object().at("updated_at").as_string());

  // Everything since the admin's edit: the manager's too, in the global order, each with
  // from/to per field.
  const auto all = items(admin_, "/api/v1/changes?entity_type=program&since=" + since);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_LT(all[0].at("position").as_int64(), all[1].at("position").as_int64());
  const auto& mine = all[0].as_object();
  EXPECT_EQ(mine.at("entity_type"), "program");
  EXPECT_EQ(mine.at("entity_id"), program.at("id"));
  EXPECT_EQ(mine.at("version"), 2);
  EXPECT_EQ(mine.at("event_type"), "ProgramUpdated");
  EXPECT_EQ(mine.at("user_id").as_string(), admin_id_);
  EXPECT_EQ(mine.at("changes").at("name").at("from"), program.at("name"));
  EXPECT_EQ(mine.at("changes").at("name").at("to"), "Second name");
  EXPECT_EQ(all[1].at("changes").at("name").at("from"), "Second name");
  EXPECT_EQ(all[1].at("changes").at("name").at("to"), "Third name");

  // Both bounds are included; user_id picks one user's edits; a creation changes from null.
  const auto up_to_mine = items(admin_, "/api/v1/changes?entity_type=program&until=" + since);
  ASSERT_EQ(up_to_mine.size(), 2u);
  EXPECT_EQ(up_to_mine[1].at("version"), 2);
  EXPECT_EQ(items(admin_, "/api/v1/changes?since=" + until + "&until=" + until).size(), 1u);
  const auto managers = items(admin_, "/api/v1/changes?user_id=" + manager.user_id);
  ASSERT_EQ(managers.size(), 1u);
  EXPECT_EQ(managers[0].at("version"), 3);
  const auto creations = items(admin_, "/api/v1/changes?entity_type=program&until=" +
                                           std::string(program.at("created_at").as_string()));
  ASSERT_EQ(creations.size(), 1u);
  EXPECT_TRUE(creations[0].at("changes").at("name").at("from").is_null());

  // What a user may read limits what it sees: the manager sees its program's changes, not
  // its own user's.
  const auto seen_by_manager = items(manager.client, "/api/v1/changes");
  for (const auto& c : seen_by_manager) {
    EXPECT_NE(c.at("entity_type"), "user");
    EXPECT_NE(c.at("entity_type"), "user_role");
  }
  EXPECT_GE(seen_by_manager.size(), 4u);  // the portfolio, the program's three

  for (const std::string bad : {"since=yesterday", "until=2026-02-30", "user_id=me",
                                "entity_type=programs", "limit=0", "who=1"}) {
    expect_problem(admin_.get("/api/v1/changes?" + bad), 400, "bad_request", bad);
  }
  expect_problem(client().get("/api/v1/changes"), 401, "unauthenticated");
}

// Field lineage: every value one field held, with the version, time, user and request id
// of the event that set it; ?as_of= stops at a time; a deleted entity keeps its lineage.
TEST_P(HttpAuditQueries, LineageNamesWhoSetEachValueOfAField) {
  const std::string admin_id =
      std::string(admin_.get("/api/v1/auth/me").object().at("id").as_string());
  auto manager = create_role_user("rm", "resource_manager", "global", "");
  const auto made =
      create("resources", json::object{{"name", "Crane"}, {"resource_type", "labor"}});
  const std::string url = "/api/v1/resources/" + id_of(made);
  next_millisecond();
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 1}, {"name", "Crane A"}}).status, 200);
  next_millisecond();
  const std::string after_second =
      current("resources", id_of(made)).at("updated_at").as_string().c_str();
  next_millisecond();
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 2}, {"description", "tall"}}).status, 200);
  const auto by_manager =
      manager.client.patch(url, json::object{{"version", 3}, {"name", "Crane B"}});
  ASSERT_EQ(by_manager.status, 200) << by_manager.body;

  const auto r = admin_.get(url + "/lineage?field=name");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = r.object();
  EXPECT_EQ(body.at("field"), "name");
  const auto& all = body.at("items").as_array();
  ASSERT_EQ(all.size(), 3u) << r.body;  // the description's change is not the name's
  const std::vector<std::tuple<int, const char*, std::string, const char*>> expected{
      {1, "Crane", admin_id, "ResourceCreated"},
      {2, "Crane A", admin_id, "ResourceUpdated"},
      {4, "Crane B", manager.user_id, "ResourceUpdated"}};
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& e = all[i].as_object();
    EXPECT_EQ(e.at("version"), std::get<0>(expected[i])) << r.body;
    EXPECT_EQ(e.at("value"), std::get<1>(expected[i])) << r.body;
    EXPECT_EQ(e.at("user_id"), json::value(std::get<2>(expected[i]))) << r.body;
    EXPECT_EQ(e.at("event_type"), std::get<3>(expected[i])) << r.body;
    EXPECT_FALSE(e.at("request_id").as_string().empty()) << r.body;
    EXPECT_FALSE(e.at("recorded_at").as_string().empty()) << r.body;
  }
  // Up to a time: the value then is the last item.
  const auto then = admin_.get(url + "/lineage?field=name&as_of=" + after_second);
  ASSERT_EQ(then.status, 200) << then.body;
  const auto then_body = then.object();
  const auto& until = then_body.at("items").as_array();
  ASSERT_EQ(until.size(), 2u) << then.body;
  EXPECT_EQ(until[1].as_object().at("value"), "Crane A");
  // A field never set since creation, and a deleted entity's lineage.
  ASSERT_EQ(admin_.del(url + "?version=4").status, 204);
  const auto type = admin_.get(url + "/lineage?field=resource_type");
  ASSERT_EQ(type.status, 200) << type.body;
  const auto type_body = type.object();
  ASSERT_EQ(type_body.at("items").as_array().size(), 1u);
  EXPECT_EQ(type_body.at("items").as_array()[0].as_object().at("value"), "labor");

  for (const std::string bad :
       {"", "?field=", "?field=colour", "?field=name&as_of=soon", "?field=name&who=1"}) {
    expect_problem(admin_.get(url + "/lineage" + bad), 400, "bad_request", bad);
  }
  const auto user = create("users", json::object{{"username", "lineage-user"},
                                                 {"email", "lineage@example.org"},
                                                 {"password", "long-enough-pw"}});
  expect_problem(admin_.get("/api/v1/users/" + id_of(user) + "/lineage?field=password"), 400,
                 "bad_request", "passwords are never in events");
  expect_problem(
      admin_.get("/api/v1/resources/01930000-0000-7000-8000-00000000dead/lineage?field=name"), 404,
      "not_found", "an unknown id");
  expect_problem(manager.client.get("/api/v1/users/" + id_of(user) + "/lineage?field=email"), 403,
                 "forbidden", "users are for admins");
  expect_problem(client().get(url + "/lineage?field=name"), 401, "unauthenticated");
}

// POST .../{id}/erasure: admins only, with a reason; the person's values read [erased]
// everywhere, a user's token and password end, history and the event feed say why.
TEST_P(HttpAuditQueries, ErasureReplacesAPersonsValuesEverywhereAndEndsTheirAccess) {
  auto person = create_role_user("Erasable.Person", "resource_manager", "global", "");
  const std::string url = "/api/v1/users/" + person.user_id;
  ASSERT_EQ(person.client.get("/api/v1/auth/me").status, 200);
  const auto worker_type =
      create("worker-types", json::object{{"type", "Welder"}, {"description", "hot work"}});
  const auto worker = create("workers", json::object{{"worker_type_id", id_of(worker_type)},
                                                     {"external_id", "EMP-4711"},
                                                     {"name", "Grace Welder"}});
  const std::string worker_url = "/api/v1/workers/" + id_of(worker);

  // Refused: not an admin, no reason, another collection, an unknown id, another method.
  expect_problem(person.client.post(worker_url + "/erasure", json::object{{"reason", "x"}}), 403,
                 "forbidden", "a resource manager");
  expect_problem(admin_.post(url + "/erasure", json::object{}), 422, "validation", "no reason");
  expect_problem(admin_.post(url + "/erasure", json::object{{"reason", ""}}), 422, "validation",
                 "an empty reason");
  expect_problem(admin_.post("/api/v1/worker-types/" + id_of(worker_type) + "/erasure",
                             json::object{{"reason", "x"}}),
                 404, "not_found", "worker types name nobody");
  expect_problem(admin_.post("/api/v1/workers/01930000-0000-7000-8000-00000000dead/erasure",
                             json::object{{"reason", "x"}}),
                 404, "not_found", "an unknown id");
  EXPECT_EQ(admin_.get(url + "/erasure").status, 405);
  EXPECT_EQ(current("users", person.user_id).at("username"), "Erasable.Person");

  const auto erased = admin_.post(url + "/erasure", json::object{{"reason", "GDPR art. 17"}});
  ASSERT_EQ(erased.status, 200) << erased.body;
  const auto body = erased.object();
  EXPECT_EQ(body.at("username"), "[erased]");
  EXPECT_EQ(body.at("email"), "[erased]");
  EXPECT_EQ(body.at("is_active"), false);
  ASSERT_EQ(admin_.post(worker_url + "/erasure", json::object{{"reason", "left"}}).status, 200);
  const auto now = current("workers", id_of(worker));
  EXPECT_EQ(now.at("name"), "[erased]");
  EXPECT_EQ(now.at("external_id"), "[erased]");

  // Their token and password end.
  EXPECT_EQ(person.client.get("/api/v1/auth/me").status, 401);
  EXPECT_EQ(client()
                .post("/api/v1/auth/token",
                      json::object{{"username", "Erasable.Person"}, {"password", person.password}})
                .status,
            401);
  // History: every earlier value unreadable, the erasure with its reason.
  const auto items = history("users", person.user_id);
  ASSERT_GE(items.size(), 2u);
  const auto& last = items.back().as_object();
  EXPECT_EQ(last.at("event_type"), "UserErased");
  const auto text = json::serialize(items);
  EXPECT_EQ(text.find("Erasable.Person"), std::string::npos) << text;
  EXPECT_NE(text.find("GDPR art. 17"), std::string::npos) << text;
  // The event feed shows the same.
  const auto feed = admin_.get("/api/v1/events?limit=1000");
  ASSERT_EQ(feed.status, 200);
  EXPECT_EQ(feed.body.find("Erasable.Person"), std::string::npos);
  EXPECT_EQ(feed.body.find("Grace Welder"), std::string::npos);
  EXPECT_EQ(feed.body.find("EMP-4711"), std::string::npos);
  EXPECT_NE(feed.body.find("WorkerErased"), std::string::npos);
  // Nor did the server's log ever hold them (it logs ids and route templates, not values).
  for (const std::string& value : {"Erasable.Person", "Grace Welder", "EMP-4711"}) {
    EXPECT_EQ(server_->stdout_text().find(value), std::string::npos) << value;
    EXPECT_EQ(server_->stderr_text().find(value), std::string::npos) << value;
  }
  // The name is free again.
  create("users", json::object{{"username", "erasable.person"},
                               {"email", "new@example.com"},
                               {"password", "a long password"}});
}

// Free-text fields an operator names in FOLIO_PERSONAL_FIELDS are sealed and erasable too.
TEST_P(HttpAuditQueries, FieldsNamedPersonalInTheConfigurationAreSealedAndErasable) {
  server_.reset();
  ::setenv("FOLIO_PERSONAL_FIELDS", "portfolio.owner,program.business_sponsor", 1);
  start_server({db_->url(), {}, true});
  ::unsetenv("FOLIO_PERSONAL_FIELDS");
  const auto portfolio = create("portfolios", json::object{{"name", "North"},
                                                           {"description", "the north"},
                                                           {"owner", "Ada Lovelace"},
                                                           {"reporting_start_date", "2026-01-01"},
                                                           {"reporting_end_date", "2026-12-31"}});
  EXPECT_EQ(portfolio.at("owner"), "Ada Lovelace");  // read back in plain text
  {
    auto store = db_->open_store();
    const auto events = store->read_stream("portfolio-" + id_of(portfolio));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].payload.find("Ada Lovelace"), std::string::npos);
    EXPECT_NE(events[0].payload.find("the north"), std::string::npos);  // not named: plain
  }
  const std::string url = "/api/v1/portfolios/" + id_of(portfolio);
  const auto erased = admin_.post(url + "/erasure", json::object{{"reason", "asked"}});
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(erased.object().at("owner"), "[erased]");
  EXPECT_EQ(erased.object().at("name"), "North");
  const auto text = json::serialize(history("portfolios", id_of(portfolio)));
  EXPECT_EQ(text.find("Ada Lovelace"), std::string::npos) << text;
  // Entities with no personal field have no erasure.
  const auto worker_type =
      create("worker-types", json::object{{"type", "T"}, {"description", "d"}});
  EXPECT_EQ(admin_
                .post("/api/v1/worker-types/" + id_of(worker_type) + "/erasure",
                      json::object{{"reason", "x"}})
                .status,
            404);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpAuditQueries,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
