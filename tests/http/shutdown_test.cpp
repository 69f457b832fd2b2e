// Clean shutdown (issue 4, ARCHITECTURE.md "Threads"): on SIGTERM the server stops
// accepting, lets the requests in flight finish with complete responses, closes idle
// keep-alive connections and exits 0.
#include <signal.h>

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "store/event_store.h"
#include "tests/http/held_lock.h"
#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

class HttpShutdown : public HttpApiTest {
 protected:
  static std::string token_for_port(unsigned short port) {
    HttpClient c(port);
    const auto r = c.post("/api/v1/auth/token",
                          json::object{{"username", kAdminUsername}, {"password", kAdminPassword}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? std::string(r.object().at("access_token").as_string()) : "";
  }
};

TEST_P(HttpShutdown, SigtermFinishesRequestsInFlightAndExitsZero) {
  // An idle keep-alive connection must not hold the server up.
  HttpClient idle = client(true);
  ASSERT_EQ(idle.get("/healthz").status, 200);

  // Logins are slow on purpose (Argon2id): several at once are in flight for a while.
  // The connections are open (accepted) before the burst, so that closing the listener
  // cannot refuse them.
  constexpr int kClients = 8;
  std::vector<HttpClient> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(client(true));
    ASSERT_EQ(clients.back().get("/healthz").status, 200);
  }
  std::vector<HttpResponse> responses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      responses[i] =
          clients[i].post("/api/v1/auth/token",
                          json::object{{"username", kAdminUsername}, {"password", kAdminPassword}},
                          {{"X-Request-Id", "in-flight-" + std::to_string(i)}});
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  server_->send_signal(SIGTERM);
  for (auto& t : threads) t.join();
  const int code = server_->wait_exit(std::chrono::seconds(20));
  EXPECT_EQ(code, 0) << server_->stderr_text();

  // The log tells the story in order: shutdown began, the requests finished, stopped.
  const auto events = server_->log_events();
  int shutdown_at = -1, stopped_at = -1, finished_after_shutdown = 0;
  std::set<std::string> after_shutdown;  // request ids answered once shutdown had begun
  for (int i = 0; i < static_cast<int>(events.size()); ++i) {
    const auto& e = events[i];
    if (!e.contains("event")) continue;
    if (e.at("event") == "shutdown") shutdown_at = i;
    if (e.at("event") == "stopped") stopped_at = i;
    if (e.at("event") == "request" && shutdown_at >= 0 &&
        std::string(e.at("request_id").as_string()).rfind("in-flight-", 0) == 0) {
      ++finished_after_shutdown;
      after_shutdown.insert(std::string(e.at("request_id").as_string()));
    }
  }
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(responses[i].status, 200) << "request " << i << ": " << responses[i].body;
    if (responses[i].status == 200) {
      EXPECT_TRUE(responses[i].object().contains("access_token"));
      // A login that finished before the signal may keep its connection; one answered
      // during shutdown must close it.
      if (after_shutdown.count("in-flight-" + std::to_string(i))) {
        EXPECT_FALSE(responses[i].keep_alive) << "a response during shutdown should close";
      }
    }
  }
  EXPECT_GE(shutdown_at, 0) << server_->stdout_text();
  EXPECT_GT(stopped_at, shutdown_at);
  EXPECT_GT(finished_after_shutdown, 0) << "no request was in flight at SIGTERM; the test proves "
                                           "nothing (make the requests slower)";
  // Nothing listens any more.
  EXPECT_EQ(raw_exchange(port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                         std::chrono::milliseconds(500)),
            "");
}

TEST_P(HttpShutdown, SigintAlsoStopsCleanly) {
  server_->send_signal(SIGINT);
  EXPECT_EQ(server_->wait_exit(std::chrono::seconds(20)), 0) << server_->stderr_text();
}

TEST_P(HttpShutdown, RestartOnAMigratedStoreKeepsTheData) {
  Parents p;
  const auto portfolio = create("portfolios", create_body("portfolios", p, 1));
  ASSERT_EQ(server_->terminate(), 0);
  // Second start: nothing to migrate, the admin exists already (the variables are ignored).
  start_server({db_->url(), {}, true});
  const auto r = admin_.get("/api/v1/portfolios/" + std::string(portfolio.at("id").as_string()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::value(portfolio));
  const auto migrations = server_->log_events();
  for (const auto& e : migrations) {
    EXPECT_NE(e.at("event"), "migration_applied") << "the second start applied a migration";
    EXPECT_NE(e.at("event"), "admin_created");
  }
}

TEST_P(HttpShutdown, TwoServersStartTogetherOnOneEmptyStore) {
  // ARCHITECTURE.md: several `folio serve` processes may share one database. Started at
  // the same moment on an empty one, both migrate and bootstrap without tripping up.
  ASSERT_EQ(server_->terminate(), 0);
  server_.reset();
  db_ = testing::TestDatabase::create(GetParam());
  std::unique_ptr<ServerProcess> servers[2];
  for (auto& s : servers)
    s = std::make_unique<ServerProcess>(ServeOptions{db_->url(), {}, true}, false);
  for (auto& s : servers) s->wait_listening();
  for (auto& s : servers) {
    ASSERT_NE(s->port(), 0) << s->stderr_text();
    HttpClient c(s->port());
    c.set_token(token_for_port(s->port()));
    EXPECT_EQ(c.get("/api/v1/auth/me").status, 200);
  }
  // One user, made by one of them.
  HttpClient c(servers[0]->port());
  c.set_token(token_for_port(servers[0]->port()));
  const auto users = c.get("/api/v1/users");
  EXPECT_EQ(users.object().at("items").as_array().size(), 1u) << users.body;
  int created = 0;
  for (auto& s : servers) {
    for (const auto& e : s->log_events()) created += e.at("event") == "admin_created" ? 1 : 0;
  }
  EXPECT_EQ(created, 1);
  for (auto& s : servers) EXPECT_EQ(s->terminate(), 0) << s->stderr_text();
}

// A write already handed to the store when the grace period ends (here held up by a lock
// another connection holds) is waited for: the server exits 0 once it is answered (before,
// its answer reached a server already gone), and what it committed stays.
TEST_P(HttpShutdown, AWriteStillOutWhenTheGraceEndsIsWaitedForBeforeExit) {
  ASSERT_EQ(server_->terminate(), 0);
  start_server({db_->url(), {"--shutdown-grace", "1"}, true});
  Parents p;
  const auto portfolio = create("portfolios", create_body("portfolios", p, 1));
  const std::string id(portfolio.at("id").as_string());

  HeldLock lock(*db_, id);

  // Raw: the answer may never come (the connection closes with the grace period).
  const std::string body = R"({"name":"late"})";
  const std::string request =
      "PATCH /api/v1/portfolios/" + id +
      " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Authorization: Bearer " +
      admin_.token() + "\r\nIf-Match: " + quoted(1) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  std::string answer;
  const unsigned short server_port = port();
  std::thread writer([&] { answer = raw_exchange(server_port, request); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the PATCH waits on the lock
  server_->send_signal(SIGTERM);
  // Past the grace period the server is still there, waiting for the write.
  EXPECT_EQ(server_->wait_exit(std::chrono::milliseconds(2500)), -1) << server_->stderr_text();
  lock.release();
  EXPECT_EQ(server_->wait_exit(std::chrono::seconds(20)), 0) << server_->stderr_text();
  writer.join();
  const auto events = server_->log_events();
  const auto said = [&](const char* event) {
    return std::any_of(events.begin(), events.end(), [&](const auto& e) {
      return e.contains("event") && e.at("event") == event;
    });
  };
  EXPECT_TRUE(said("shutdown_grace_ended")) << server_->stdout_text();
  EXPECT_TRUE(said("stopped"));

  // The client may or may not have got its answer (the connection closed with the grace);
  // the database has the write either way, once.
  if (!answer.empty()) EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  start_server({db_->url(), {}, true});
  const auto now = current("portfolios", id);
  EXPECT_EQ(now.at("name"), "late");
  EXPECT_EQ(now.at("version"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpShutdown,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
