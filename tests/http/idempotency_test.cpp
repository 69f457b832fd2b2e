// Idempotency-Key (API.md, docs/api.md "Exact retries"): a repeated write gets the first
// answer, not a second run and not a 409; the same key with another request is 422; keys
// belong to their user, survive a server restart, hold across servers on one database, and
// concurrent repeats run the command once.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

using testing::Backend;

constexpr const char* kPortfolios = "/api/v1/portfolios";

Headers key(const std::string& value) { return {{"Idempotency-Key", value}}; }

class HttpIdempotency : public HttpApiTest {
 protected:
  // The answer must be the first one again, marked as a replay.
  static void expect_replay_of(const HttpResponse& first, const HttpResponse& repeat) {
    EXPECT_EQ(repeat.status, first.status);
    EXPECT_EQ(repeat.body, first.body);
    EXPECT_EQ(repeat.header("ETag"), first.header("ETag"));
    EXPECT_EQ(repeat.header("Location"), first.header("Location"));
    EXPECT_EQ(repeat.header("Idempotent-Replayed"), "true");
    EXPECT_FALSE(first.has_header("Idempotent-Replayed"));
  }
};

TEST_P(HttpIdempotency, ARepeatedCreateGetsTheFirstAnswerAndCreatesOnce) {
  const auto body = create_body("portfolios", {}, 1);
  const auto first = admin_.post(kPortfolios, body, key("create-1"));
  ASSERT_EQ(first.status, 201) << first.body;
  const auto repeat = admin_.post(kPortfolios, body, key("create-1"));
  expect_replay_of(first, repeat);
  EXPECT_EQ(list_ids("portfolios").size(), 1u);

  // The same key with another body, address or method: refused, nothing written.
  auto other = body;
  other["name"] = "Another name";
  const auto reused = admin_.post(kPortfolios, other, key("create-1"));
  expect_problem(reused, 422, "validation");
  EXPECT_EQ(reused.object().at("errors").as_array()[0].at("field"), "Idempotency-Key");
  EXPECT_EQ(admin_.post("/api/v1/programs", other, key("create-1")).status, 422);
  EXPECT_EQ(list_ids("portfolios").size(), 1u);

  // Another key is another request.
  other["name"] = "Second portfolio";
  EXPECT_EQ(admin_.post(kPortfolios, other, key("create-2")).status, 201);
  EXPECT_EQ(list_ids("portfolios").size(), 2u);
}

TEST_P(HttpIdempotency, ARepeatedUpdateIsNotAConflict) {
  const auto made = create("portfolios", create_body("portfolios", {}, 1));
  const std::string url = std::string(kPortfolios) + "/" + std::string(made.at("id").as_string());
  const json::object change{{"version", 1}, {"owner", "New owner"}};
  const auto first = admin_.patch(url, change, key("update-1"));
  ASSERT_EQ(first.status, 200) << first.body;
  // Without the key the same request is stale (409); with it, the first answer again.
  EXPECT_EQ(admin_.patch(url, change).status, 409);
  const auto repeat = admin_.patch(url, change, key("update-1"));
  expect_replay_of(first, repeat);
  EXPECT_EQ(current("portfolios", std::string(made.at("id").as_string())).at("version"), 2);

  // A first answer that was a refusal is kept as well: the repeat gets the same 409.
  const auto stale = admin_.patch(url, change, key("update-stale"));
  ASSERT_EQ(stale.status, 409);
  expect_replay_of(stale, admin_.patch(url, change, key("update-stale")));

  // Deletes too.
  const auto removed = admin_.del(url + "?version=2", key("delete-1"));
  ASSERT_LT(removed.status, 300) << removed.body;
  expect_replay_of(removed, admin_.del(url + "?version=2", key("delete-1")));
}

TEST_P(HttpIdempotency, KeysBelongToTheirUser) {
  const auto body = create_body("portfolios", {}, 1);
  ASSERT_EQ(admin_.post(kPortfolios, body, key("shared")).status, 201);
  auto planner = create_role_user("planner", "admin", "", "");
  auto other = body;
  other["name"] = "The planner's own";
  const auto theirs = planner.client.post(kPortfolios, other, key("shared"));
  EXPECT_EQ(theirs.status, 201) << theirs.body;
  EXPECT_FALSE(theirs.has_header("Idempotent-Replayed"));
  EXPECT_EQ(list_ids("portfolios").size(), 2u);
}

TEST_P(HttpIdempotency, MalformedKeysAndMissingTokens) {
  const auto body = create_body("portfolios", {}, 1);
  expect_problem(admin_.post(kPortfolios, body, key(std::string(256, 'k'))), 400, "bad_request");
  expect_problem(admin_.post(kPortfolios, body, key("with space")), 400, "bad_request");
  HttpClient anonymous = client();
  EXPECT_EQ(anonymous.post(kPortfolios, body, key("k")).status, 401);
  EXPECT_TRUE(list_ids("portfolios").empty());
}

TEST_P(HttpIdempotency, ConcurrentRepeatsRunTheCommandOnce) {
  const auto body = create_body("portfolios", {}, 7);
  constexpr int kClients = 8;
  std::vector<HttpResponse> answers(kClients);
  std::vector<std::thread> threads;
  const std::string token = admin_.token();
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c = client();
      c.set_token(token);
      answers[i] = c.post(kPortfolios, body, key("together"));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> bodies;
  int replays = 0;
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, 201) << a.body;
    bodies.insert(a.body);
    replays += a.header("Idempotent-Replayed") == "true";
  }
  EXPECT_EQ(bodies.size(), 1u) << "every repeat gets the one answer";
  EXPECT_EQ(replays, kClients - 1);
  EXPECT_EQ(list_ids("portfolios").size(), 1u);
}

TEST_P(HttpIdempotency, AnswersSurviveARestartAndHoldOnAnotherServer) {
  const auto body = create_body("portfolios", {}, 1);
  const auto first = admin_.post(kPortfolios, body, key("durable"));
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string token = admin_.token();
  server_->terminate();  // a restart: a new process on the same database
  ServerProcess again({db_->url(), {}, false});
  ASSERT_NE(again.port(), 0);
  HttpClient c(again.port());
  c.set_token(token);
  expect_replay_of(first, c.post(kPortfolios, body, key("durable")));
  ServerProcess another({db_->url(), {}, false});  // a second server beside it
  HttpClient d(another.port());
  d.set_token(token);
  expect_replay_of(first, d.post(kPortfolios, body, key("durable")));
  EXPECT_EQ(d.get("/api/v1/portfolios").object().at("items").as_array().size(), 1u);
}

TEST_P(HttpIdempotency, KeysOlderThanTheirKeepingTimeAreForgotten) {
  // A key kept from long ago (created at the epoch), with an answer for another request.
  {
    auto store = db_->open_store();
    const std::vector<store::SqlValue> row{admin_id_, std::string("old-key"),
                                           std::string("another request"), std::int64_t{0}};
    store->transact(store::Access::read_write, [&](store::Transaction& tx) {
      tx.execute(
          "INSERT INTO idempotency_keys (user_id, idempotency_key, fingerprint, created_at_ms,"
          " status, response_headers, response_body) VALUES ($1, $2, $3, $4, 201, '{}', '{}')",
          row);
      return store::Verdict::commit;
    });
  }
  // Past 24 hours the key is free again: this request runs (no 422, no replay).
  const auto fresh = admin_.post(kPortfolios, create_body("portfolios", {}, 1), key("old-key"));
  EXPECT_EQ(fresh.status, 201) << fresh.body;
  EXPECT_FALSE(fresh.has_header("Idempotent-Replayed"));
  EXPECT_EQ(list_ids("portfolios").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpIdempotency,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
