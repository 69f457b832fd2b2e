// Failed logins are limited per user name and per client address (API.md: 429
// `rate_limited` with Retry-After), with the same answers for unknown users and wrong
// passwords; a successful login forgets the user name's failures; a window ends; and on
// PostgreSQL the servers sharing a database share the counts.
#include <thread>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

class HttpLoginLimits : public HttpApiTest {
 protected:
  void SetUp() override { db_ = testing::TestDatabase::create(GetParam()); }

  // Starts the server with --login-limits "user,address,seconds".
  void start_with_limits(const std::string& limits) {
    start_server({db_->url(), {"--login-limits", limits}, true});
  }

  HttpResponse attempt(const std::string& username, const std::string& password,
                       unsigned short server_port = 0) const {
    HttpClient c(server_port ? server_port : port());
    return c.post("/api/v1/auth/token",
                  json::object{{"username", username}, {"password", password}});
  }

  // A 429 `rate_limited` problem with a Retry-After of 1..max_seconds.
  void expect_limited(const HttpResponse& r, int max_seconds, const std::string& context) {
    expect_problem(r, 429, "rate_limited", context);
    const std::string retry = r.header("Retry-After");
    ASSERT_FALSE(retry.empty()) << context;
    EXPECT_GE(std::stoi(retry), 1) << context;
    EXPECT_LE(std::stoi(retry), max_seconds) << context;
  }
};

TEST_P(HttpLoginLimits, AUserNameIsRefusedAfterItsFailuresAlikeForUnknownUsers) {
  start_with_limits("3,100,60");
  for (int i = 0; i < 3; ++i) {
    expect_problem(attempt(kAdminUsername, "wrong-password"), 401, "unauthenticated", "admin");
    expect_problem(attempt("nobody", "wrong-password"), 401, "unauthenticated", "nobody");
  }
  // Now even the right password is refused for that name, in any letter case.
  const auto known = attempt(kAdminUsername, kAdminPassword);
  expect_limited(known, 60, "admin, right password");
  expect_limited(attempt("ADMIN", kAdminPassword), 60, "ADMIN");
  const auto unknown = attempt("nobody", "wrong-password");
  expect_limited(unknown, 60, "nobody");
  EXPECT_EQ(known.object().at("detail"), unknown.object().at("detail"));
  EXPECT_EQ(known.object().at("title"), unknown.object().at("title"));
  // Another user from the same address is not held up.
  const auto carol = admin_.post("/api/v1/users", json::object{{"username", "carol"},
                                                               {"email", "carol@example.com"},
                                                               {"password", "carol-password-1"}});
  ASSERT_EQ(carol.status, 201) << carol.body;
  EXPECT_EQ(attempt("carol", "carol-password-1").status, 200);
}

TEST_P(HttpLoginLimits, AnAddressIsRefusedAfterItsFailuresWhateverTheUserName) {
  start_with_limits("100,3,60");
  for (const char* name : {"one", "two", "three"}) {
    expect_problem(attempt(name, "wrong-password"), 401, "unauthenticated", name);
  }
  expect_limited(attempt(kAdminUsername, kAdminPassword), 60, "admin from a limited address");
  // Refused attempts write nothing and are not counted: the token in hand still works.
  EXPECT_EQ(admin_.get("/api/v1/auth/me").status, 200);
}

TEST_P(HttpLoginLimits, ASuccessfulLoginForgetsTheUserNamesFailures) {
  start_with_limits("3,100,60");
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(attempt(kAdminUsername, "wrong-password").status, 401) << round;
    }
    EXPECT_EQ(attempt(kAdminUsername, kAdminPassword).status, 200) << round;
  }
}

TEST_P(HttpLoginLimits, TheLimitEndsWithItsWindow) {
  start_with_limits("2,100,2");
  EXPECT_EQ(attempt(kAdminUsername, "wrong-password").status, 401);
  EXPECT_EQ(attempt(kAdminUsername, "wrong-password").status, 401);
  expect_limited(attempt(kAdminUsername, kAdminPassword), 2, "within the window");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(attempt(kAdminUsername, kAdminPassword).status, 200);
}

// A login for admin as if forwarded by a proxy for `client` (after an earlier hop).
HttpResponse forwarded_login(unsigned short port, const std::string& client,
                             const std::string& password) {
  HttpClient c(port);
  return c.post("/api/v1/auth/token",
                json::object{{"username", kAdminUsername}, {"password", password}},
                {{"X-Forwarded-For", "203.0.113.9, " + client}});
}

TEST_P(HttpLoginLimits, ATrustedProxyNamesTheClient) {
  start_server(
      {db_->url(), {"--login-limits", "100,2,60", "--trusted-proxies", "127.0.0.1"}, true});
  EXPECT_EQ(forwarded_login(port(), "198.51.100.1", "wrong-password").status, 401);
  EXPECT_EQ(forwarded_login(port(), "198.51.100.1", "wrong-password").status, 401);
  expect_limited(forwarded_login(port(), "198.51.100.1", kAdminPassword), 60, "that client");
  // Another client behind the same proxy is not held up.
  EXPECT_EQ(forwarded_login(port(), "198.51.100.2", kAdminPassword).status, 200);
}

TEST_P(HttpLoginLimits, AnUntrustedPeerCannotChooseItsAddress) {
  start_with_limits("100,2,60");
  EXPECT_EQ(forwarded_login(port(), "198.51.100.1", "wrong-password").status, 401);
  EXPECT_EQ(forwarded_login(port(), "198.51.100.2", "wrong-password").status, 401);
  // Both counted against the peer itself, whatever the header said.
  expect_limited(forwarded_login(port(), "198.51.100.3", kAdminPassword), 60, "a third name");
}

class HttpLoginLimitsAcrossServers : public HttpLoginLimits {};  // PostgreSQL only

TEST_P(HttpLoginLimitsAcrossServers, ServersOnOneDatabaseShareTheCounts) {
  start_with_limits("3,100,60");
  ServerProcess second({db_->url(), {"--login-limits", "3,100,60", "--no-migrate"}, false});
  ASSERT_NE(second.port(), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(attempt(kAdminUsername, "wrong-password", i % 2 ? second.port() : 0).status, 401);
  }
  expect_limited(attempt(kAdminUsername, kAdminPassword, second.port()), 60, "second server");
  expect_limited(attempt(kAdminUsername, kAdminPassword), 60, "first server");
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpLoginLimits,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);
INSTANTIATE_TEST_SUITE_P(Backends, HttpLoginLimitsAcrossServers,
                         ::testing::Values(Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
