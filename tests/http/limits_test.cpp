// The server's bounds (issue 4 "Limits"): a full work queue and too many connections are
// answered 503 with Retry-After, nothing is written, and the server recovers at once.
#include <thread>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

class HttpLimits : public HttpApiTest {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::create(GetParam());
    // One worker and a queue of one: the third request at once is one too many. No
    // connection is old enough to make room for a new one (hostile_clients_test.cpp).
    start_server({db_->url(),
                  {"--workers", "1", "--queue", "1", "--max-connections", "12",
                   "--evict-waiting-after-ms", "600000"},
                  true});
  }
};

TEST_P(HttpLimits, AFullQueueIs503WithRetryAfterAndRecovers) {
  // Logins are slow (Argon2id), so six sent at once overflow one worker and a queue of one.
  constexpr int kClients = 6;
  std::vector<HttpResponse> responses(kClients);
  std::vector<HttpClient> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(client());
    ASSERT_EQ(clients.back().get("/healthz").status, 200);  // connected before the burst
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      responses[i] =
          clients[i].post("/api/v1/auth/token",
                          json::object{{"username", kAdminUsername}, {"password", kAdminPassword}});
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, overloaded = 0;
  for (const auto& r : responses) {
    if (r.status == 200) {
      ++ok;
    } else {
      expect_problem(r, 503, "unavailable", "overloaded");
      EXPECT_FALSE(r.header("Retry-After").empty());
      ++overloaded;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(overloaded, 1) << "six slow requests at once did not overflow a queue of one";
  // Every client may go on: the 503 kept the connection.
  for (auto& c : clients) EXPECT_EQ(c.get("/healthz").status, 200);
  const auto metrics = client().get("/metrics");
  EXPECT_NE(metrics.body.find("folio_http_overloaded_total " + std::to_string(overloaded)),
            std::string::npos)
      << metrics.body;
}

TEST_P(HttpLimits, TooManyConnectionsAre503AndTheRestKeepWorking) {
  // Open connections until one is refused: with admin_'s, the 13th at the latest (the
  // login connections of the fixture may still be closing, so perhaps earlier).
  std::vector<HttpClient> kept;
  HttpResponse refused;
  for (int i = 0; i < 13 && refused.status == 0; ++i) {
    HttpClient c = client();
    auto r = c.get("/healthz");
    if (r.status == 200) {
      kept.push_back(std::move(c));
    } else {
      refused = std::move(r);
    }
  }
  EXPECT_GE(kept.size(), 9u);
  EXPECT_LE(kept.size(), 11u);
  expect_problem(refused, 503, "unavailable", "one connection too many");
  EXPECT_FALSE(refused.header("Retry-After").empty());
  EXPECT_FALSE(refused.keep_alive);
  // The connections already open are served; once one closes, a new one is accepted.
  for (auto& c : kept) EXPECT_EQ(c.get("/healthz").status, 200);
  kept.pop_back();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    status = raw_status(
        raw_exchange(port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpLimits,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
