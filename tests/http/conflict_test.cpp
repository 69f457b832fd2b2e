// Versions and conflicts over the wire (API.md "Versions and conflicts"): the exact 409
// body, 16 concurrent read-modify-write clients, concurrent creates of one unique value,
// the conflict log line, and passwords that never come back.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

class HttpConflicts : public HttpApiTest {
 protected:
  // A portfolio, a program and a project under it; returns the project.
  json::object make_project(const std::string& name) {
    Parents p;
    p.portfolio_id =
        std::string(create("portfolios", create_body("portfolios", p, 1)).at("id").as_string());
    p.program_id =
        std::string(create("programs", create_body("programs", p, 1)).at("id").as_string());
    json::object body = create_body("projects", p, 1);
    body["name"] = name;
    return create("projects", body);
  }
  // Requests the server's event loops handed to a blocking worker so far (/metrics).
  double runs_again() {
    return metric_sample(client().get("/metrics").body, "folio_http_requests_run_again_total");
  }
  void expect_remembered_states_lose_to_the_store(const std::string& collection,
                                                  const std::string& id, RoleUser user, int refused,
                                                  const std::string& refused_code);
};

TEST_P(HttpConflicts, The409BodyIsTheOneOfApiMd) {
  // The example of API.md: the client loaded version 3, two others changed it since.
  const auto project = make_project("A0");
  const std::string id(project.at("id").as_string());
  const std::string url = "/api/v1/projects/" + id;
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 1}, {"description", "one"}}).status, 200);
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 2}, {"name", "A"}}).status, 200);
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 3}, {"name", "B"}}).status, 200);
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 4}, {"technical_lead", "Other"}}).status,
            200);
  const auto now = admin_.get(url);
  ASSERT_EQ(now.status, 200);

  const auto r = admin_.patch(url, json::object{{"version", 3}, {"name", "New name"}});
  expect_version_conflict(r, "projects", id, 3, 5, false, "stale name change");
  ASSERT_EQ(r.status, 409);
  const auto body = r.object();
  EXPECT_EQ(body.at("detail"),
            "This project was changed by someone else after you loaded it. Your changes were not "
            "saved. Review the current values and apply your changes again.");
  EXPECT_EQ(body.at("current_state"), now.json());
  EXPECT_EQ(body.at("attempted_changes"), (json::object{{"name", "New name"}}));
  const auto& since = body.at("changes_since").as_array();
  ASSERT_EQ(since.size(), 2u);
  const auto& first = since[0].as_object();
  EXPECT_EQ(first.at("version"), 4);
  EXPECT_EQ(first.at("user_id"), json::value(admin_id_));
  EXPECT_TRUE(first.at("recorded_at").is_string());
  EXPECT_EQ(first.at("changes"),
            (json::object{{"name", json::object{{"from", "A"}, {"to", "B"}}}}));
  EXPECT_EQ(since[1].as_object().at("changes"),
            (json::object{{"technical_lead", json::object{{"from", "Lead"}, {"to", "Other"}}}}));
  // The conflict wrote nothing.
  EXPECT_EQ(admin_.get(url).json(), now.json());
  EXPECT_EQ(history("projects", id).size(), 5u);

  // A phase says "project phase" in plain language.
  json::object phase_body = create_body("project-phases", Parents{.project_id = id}, 3);
  const auto phase = create("project-phases", phase_body);
  const std::string phase_url = "/api/v1/project-phases/" + std::string(phase.at("id").as_string());
  ASSERT_EQ(admin_.patch(phase_url, json::object{{"version", 1}, {"name", "x"}}).status, 200);
  const auto stale = admin_.patch(phase_url, json::object{{"version", 1}, {"name", "y"}});
  ASSERT_EQ(stale.status, 409) << stale.body;
  EXPECT_NE(
      std::string(stale.object().at("detail").as_string()).find("This project phase was changed"),
      std::string::npos)
      << stale.body;
}

// A resource: its updates need nothing but its row, so on PostgreSQL they go through the
// event loops' pipelines and group commit (a project's check its phases' dates).
TEST_P(HttpConflicts, SixteenClientsReadModifyWriteOneEntity) {
  const auto resource = create("resources", create_body("resources", Parents{}, 1));
  const std::string id(resource.at("id").as_string());
  const std::string url = "/api/v1/resources/" + id;
  constexpr int kClients = 16;
  constexpr int kWritesEach = 4;
  constexpr int kMaxAttemptsEach = 400;

  struct Success {
    std::int64_t version;
    std::string value;
  };
  std::mutex mutex;
  std::vector<Success> successes;
  std::atomic<int> ok_count{0}, conflict_count{0}, other_count{0};
  std::vector<std::thread> threads;
  const std::string token = admin_.token();
  const double handed_over_before = runs_again();
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(port());
      c.set_token(token);
      int done = 0;
      // Read once, then retry from the state each 409 carries.
      auto r = c.get(url);
      if (r.status != 200) return;
      std::int64_t seen = r.object().at("version").as_int64();
      for (int attempt = 0; attempt < kMaxAttemptsEach && done < kWritesEach; ++attempt) {
        const std::string value = "client " + std::to_string(t) + " write " + std::to_string(done);
        r = c.patch(url, json::object{{"version", seen}, {"description", value}});
        if (r.status == 200) {
          ++ok_count;
          ++done;
          seen = r.object().at("version").as_int64();
          std::lock_guard lock(mutex);
          successes.push_back({seen, value});
        } else if (r.status == 409) {
          ++conflict_count;
          seen = r.object().at("current_version").as_int64();
        } else {
          ++other_count;
          ADD_FAILURE() << "unexpected " << r.status << ": " << r.body;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(other_count.load(), 0);
  EXPECT_EQ(ok_count.load(), kClients * kWritesEach) << "some client ran out of attempts";
  // Every write went without a blocking worker, and so did every conflict (its "what
  // changed since" lies within the first read of the history: every write changes the
  // description): on PostgreSQL also those whose write, decided on a version another client
  // had just moved on, changed nothing and had the row read again.
  EXPECT_EQ(runs_again(), handed_over_before);

  const auto final_state = current("resources", id);
  const std::int64_t final_version = final_state.at("version").as_int64();
  EXPECT_EQ(ok_count.load(), final_version - 1);
  // Every success is in the history, at the version it was answered with.
  const auto items = history("resources", id);
  ASSERT_EQ(static_cast<std::int64_t>(items.size()), final_version);
  std::set<std::int64_t> versions;
  for (const auto& s : successes) {
    EXPECT_TRUE(versions.insert(s.version).second) << "version " << s.version << " answered twice";
    ASSERT_GE(s.version, 2);
    ASSERT_LE(s.version, final_version);
    const auto& entry = items[static_cast<std::size_t>(s.version - 1)].as_object();
    EXPECT_EQ(entry.at("version"), s.version);
    EXPECT_EQ(entry.at("changes").as_object().at("description").as_object().at("to"),
              json::value(s.value))
        << "version " << s.version;
  }
  std::cout << "16 clients: " << ok_count << " successes, " << conflict_count << " conflicts\n";
}

TEST_P(HttpConflicts, ConcurrentCreatesOfOneUniqueNameOneWins) {
  constexpr int kClients = 8;
  std::atomic<int> created{0}, constraint{0};
  std::vector<std::thread> threads;
  const std::string token = admin_.token();
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      HttpClient c(port());
      c.set_token(token);
      json::object body = create_body("portfolios", {}, 1);
      body["name"] = "Only one";
      const auto r = c.post("/api/v1/portfolios", body);
      if (r.status == 201) {
        ++created;
      } else if (r.status == 409 && r.object().at("error") == "constraint") {
        ++constraint;
      } else {
        ADD_FAILURE() << r.status << ": " << r.body;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(constraint.load(), kClients - 1);
  EXPECT_EQ(list_ids("portfolios").size(), 1u);
}

TEST_P(HttpConflicts, TheConflictLogLineHasIdsAndVersionsOnly) {
  const auto project = make_project("Logged");
  const std::string id(project.at("id").as_string());
  const std::string url = "/api/v1/projects/" + id;
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 1}, {"description", "first"}}).status, 200);
  const std::string secret = "SecretValueThatMustNotBeLogged";
  const auto r = admin_.patch(url, json::object{{"version", 1}, {"name", secret}},
                              {{"X-Request-Id", "conflict-log-test-1"}});
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.header("X-Request-Id"), "conflict-log-test-1");

  const auto lines = server_->wait_for_log(
      [](const json::object& e) {
        return e.if_contains("event") && e.at("event") == "version_conflict";
      },
      std::chrono::seconds(5));
  ASSERT_EQ(lines.size(), 1u) << server_->stdout_text();
  const auto& line = lines[0];
  std::set<std::string> keys;
  for (const auto& m : line) keys.emplace(m.key());
  EXPECT_EQ(keys, (std::set<std::string>{"event", "entity_type", "entity_id", "expected_version",
                                         "actual_version", "user_id", "request_id"}))
      << line;
  EXPECT_EQ(line.at("entity_type"), "project");
  EXPECT_EQ(line.at("entity_id"), json::value(id));
  EXPECT_EQ(line.at("expected_version"), 1);
  EXPECT_EQ(line.at("actual_version"), 2);
  EXPECT_EQ(line.at("user_id"), json::value(admin_id_));
  EXPECT_EQ(line.at("request_id"), "conflict-log-test-1");
  // The request's own access line carries the same request id and the route template.
  const auto access = server_->wait_for_log(
      [](const json::object& e) {
        return e.if_contains("event") && e.at("event") == "request" &&
               e.at("request_id") == "conflict-log-test-1";
      },
      std::chrono::seconds(5));
  ASSERT_EQ(access.size(), 1u);
  EXPECT_EQ(access[0].at("status"), 409);
  EXPECT_EQ(access[0].at("route"), "/api/v1/projects/{id}");
  EXPECT_EQ(access[0].at("method"), "PATCH");
  EXPECT_EQ(access[0].at("user_id"), json::value(admin_id_));
  // No field value, no token, no password anywhere in the log.
  const std::string log = server_->stdout_text();
  EXPECT_EQ(log.find(secret), std::string::npos);
  EXPECT_EQ(log.find(admin_.token()), std::string::npos);
  EXPECT_EQ(log.find(kAdminPassword), std::string::npos);
}

TEST_P(HttpConflicts, PasswordsNeverComeBack) {
  const std::string password = "first-secret-password";
  auto r = admin_.post(
      "/api/v1/users",
      json::object{{"username", "pat"}, {"email", "pat@example.com"}, {"password", password}});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id(r.object().at("id").as_string());
  const std::string url = "/api/v1/users/" + id;
  EXPECT_EQ(r.body.find("password"), std::string::npos) << r.body;
  // An admin changes the password: the new one works, the old one does not.
  const std::string second = "second-secret-password";
  r = admin_.patch(url, json::object{{"version", 1}, {"password", second}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find(second), std::string::npos);
  EXPECT_EQ(r.object().at("version"), 2);
  HttpClient anonymous = client();
  EXPECT_EQ(
      anonymous
          .post("/api/v1/auth/token", json::object{{"username", "pat"}, {"password", password}})
          .status,
      401);
  EXPECT_EQ(
      anonymous.post("/api/v1/auth/token", json::object{{"username", "pat"}, {"password", second}})
          .status,
      200);
  // A stale password change: 409 without the password in attempted_changes.
  const std::string third = "third-secret-password";
  r = admin_.patch(url,
                   json::object{{"version", 1}, {"password", third}, {"email", "p2@example.com"}});
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.body.find(third), std::string::npos) << r.body;
  EXPECT_EQ(r.object().at("attempted_changes"), (json::object{{"email", "p2@example.com"}}));
  // Nor in the history, the list, at_version or the log.
  for (const std::string& target :
       {url, url + "/history", url + "?at_version=1", std::string("/api/v1/users")}) {
    r = admin_.get(target);
    EXPECT_EQ(r.status, 200) << target;
    for (const auto& p : {password, second, third}) {
      EXPECT_EQ(r.body.find(p), std::string::npos) << target << ": " << r.body;
    }
  }
  const std::string log = server_->stdout_text();
  for (const auto& p : {password, second, third}) EXPECT_EQ(log.find(p), std::string::npos);
  // A user may read itself through auth/me, without the password either.
  HttpClient pat = login("pat", second);
  r = pat.get("/api/v1/auth/me");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.object().at("id"), json::value(id));
  EXPECT_EQ(r.body.find(second), std::string::npos);
}

// A server remembers the entity states it wrote or read (CommandHandler) and decides an
// update on them when the client sends the remembered version. Changes made through
// another server on the same database must still win: the write also requires the row and
// the access epoch unchanged, and anything else is decided again from the store.
// `collection`/`id` is an entity at version 1; `user` may update it through a role that
// `refused` answers for once the role has gone.
void HttpConflicts::expect_remembered_states_lose_to_the_store(const std::string& collection,
                                                               const std::string& id, RoleUser user,
                                                               int refused,
                                                               const std::string& refused_code) {
  const std::string url = "/api/v1/" + collection + "/" + id;
  // Versions 2 and 3 here: the second is decided on the remembered version 2.
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 1}, {"description", "one"}}).status, 200);
  const auto third = admin_.patch(url, json::object{{"version", 2}, {"description", "two"}});
  ASSERT_EQ(third.status, 200) << third.body;
  EXPECT_EQ(third.object().at("version"), 3);
  EXPECT_EQ(third.json(), admin_.get(url).json());  // the answer is the stored row

  ServerProcess other({db_->url(), {}, false});
  ASSERT_NE(other.port(), 0);
  HttpClient elsewhere(other.port());
  elsewhere.set_token(admin_.token());
  ASSERT_EQ(elsewhere.patch(url, json::object{{"version", 3}, {"name", "Elsewhere"}}).status, 200);

  // Here version 3 is remembered, but the store is at 4: a conflict with the real history.
  // (On PostgreSQL the write decided on the remembered row changes nothing; the event loop
  // reads the row again and answers the conflict itself, without a blocking worker. On
  // SQLite the writer reads it in the same unit.)
  const double before = runs_again();
  const auto stale = admin_.patch(url, json::object{{"version", 3}, {"description", "three"}});
  expect_version_conflict(stale, collection, id, 3, 4, false, "remembered version 3");
  EXPECT_EQ(stale.object().at("current_state").as_object().at("name"), "Elsewhere");
  EXPECT_EQ(runs_again(), before);
  // The version the store holds works here, and keeps the other server's change.
  const auto fifth = admin_.patch(url, json::object{{"version", 4}, {"description", "four"}});
  ASSERT_EQ(fifth.status, 200) << fifth.body;
  EXPECT_EQ(fifth.object().at("name"), "Elsewhere");
  EXPECT_EQ(history(collection, id).size(), 5u);

  // A user this server remembers (actor and state) loses the right elsewhere: the next
  // update here is decided from the store, so it is refused and writes nothing.
  ASSERT_EQ(user.client.patch(url, json::object{{"version", 5}, {"description", "mine"}}).status,
            200);
  ASSERT_EQ(elsewhere
                .patch("/api/v1/user-roles/" + user.role_id,
                       json::object{{"version", 1}, {"is_active", false}})
                .status,
            200);
  expect_problem(user.client.patch(url, json::object{{"version", 6}, {"description", "no"}}),
                 refused, refused_code, "update after the role went elsewhere");
  EXPECT_EQ(current(collection, id).at("version"), 6);
  EXPECT_EQ(current(collection, id).at("description"), "mine");
}

// A project's update reads its program as well (a reference to check): decided in the
// store's transaction on the remembered row.
TEST_P(HttpConflicts, RememberedStatesNeverDecideAgainstTheStore) {
  const auto project = make_project("Remembered");
  expect_remembered_states_lose_to_the_store(
      "projects", std::string(project.at("id").as_string()),
      create_role_user("pm", "program_manager", "global", ""), 404, "not_found");
}

// A resource's update needs nothing but its row and the actor: at a remembered version the
// event loop decides it without reading, and the store's thread only runs the write
// (SQLite's writer: store/append_capture.h; PostgreSQL's group commit).
TEST_P(HttpConflicts, UpdatesDecidedOnTheLoopNeverDecideAgainstTheStore) {
  const auto resource = create("resources", create_body("resources", Parents{}, 1));
  expect_remembered_states_lose_to_the_store(
      "resources", std::string(resource.at("id").as_string()),
      create_role_user("rm", "resource_manager", "global", ""), 403, "forbidden");
}

// What changed since gives each field's value before the change, however long before the
// client's version that value was set. The event loop answers a stale edit itself when the
// history it reads at first (the 8 versions before the client's onwards) holds those values;
// only an older one sends the request to a blocking worker, which reads further back (on
// PostgreSQL; SQLite's writer decides every conflict in its own transaction).
TEST_P(HttpConflicts, ChangesSinceGiveValuesSetLongBefore) {
  const auto project = make_project("Long");
  const std::string id(project.at("id").as_string());
  const std::string url = "/api/v1/projects/" + id;
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 1}, {"description", "early"}}).status, 200);
  for (int v = 2; v <= 11; ++v) {  // versions 3 to 12: the name, again and again
    ASSERT_EQ(
        admin_.patch(url, json::object{{"version", v}, {"name", "N" + std::to_string(v)}}).status,
        200);
  }
  const double before = runs_again();
  ASSERT_GE(before, 0);

  // Stale by one name change: its previous value is within the first read.
  const auto recent = admin_.patch(url, json::object{{"version", 11}, {"name", "mine"}});
  expect_version_conflict(recent, "projects", id, 11, 12, false, "stale by one");
  const json::array one = recent.object().at("changes_since").as_array();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].as_object().at("changes"),
            (json::object{{"name", json::object{{"from", "N10"}, {"to", "N11"}}}}));
  EXPECT_EQ(runs_again(), before) << "answered by the event loop";

  // The description's earlier value was set at version 2, ten versions before the client's.
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 12}, {"description", "late"}}).status, 200);
  const auto old = admin_.patch(url, json::object{{"version", 12}, {"technical_lead", "X"}});
  expect_version_conflict(old, "projects", id, 12, 13, false, "a value set long before");
  const json::array since = old.object().at("changes_since").as_array();
  ASSERT_EQ(since.size(), 1u);
  EXPECT_EQ(since[0].as_object().at("changes"),
            (json::object{{"description", json::object{{"from", "early"}, {"to", "late"}}}}));
  EXPECT_EQ(runs_again(), before + (GetParam() == Backend::postgres ? 1 : 0));
  EXPECT_EQ(history("projects", id).size(), 13u) << "conflicts write nothing";
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpConflicts,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
