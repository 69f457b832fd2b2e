// `folio rebuild` as operators run it, beside a running `folio serve`, on both backends:
//   - the server keeps answering (reads and writes through its prepared statements) after
//     the rebuild swapped the tables under it;
//   - kill -9 of the binary once its checkpoint has advanced, then a second run, resumes
//     and ends equal to the read models before;
// and the asynchronous utilisation endpoint and its lag metric.
#include <signal.h>
#include <unistd.h>

#include "commands/command_handler.h"
#include "projections/catch_up.h"
#include "projections/rebuild.h"
#include "tests/commands/domain_support.h"
#include "tests/http/http_fixture.h"
#include "tests/support/folio_process.h"

namespace folio::http_test {
namespace {

using namespace std::chrono_literals;

class RebuildProcess : public HttpApiTest {
 protected:
  std::string output_path(const char* name) const {
    return ::testing::TempDir() + "/folio-rebuild-" + name + "-" + std::to_string(::getpid()) +
           ".txt";
  }
  // Runs `folio rebuild args...` to the end; its exit code and output.
  std::pair<int, std::string> rebuild(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_->url(), "rebuild"});
    const std::string out = output_path("run");
    const int code = testing::wait_folio(testing::start_folio(args, out));
    return {code, testing::read_file(out)};
  }
};

TEST_P(RebuildProcess, TheServerKeepsServingReadsAndWritesAfterTheSwap) {
  const auto portfolio = create("portfolios", create_body("portfolios", {}, 1));
  const auto resource = create("resources", create_body("resources", {}, 1));
  const std::string id(resource.at("id").as_string());
  // Enough reads that every worker's connection has prepared its statements.
  HttpResponse before;
  for (int i = 0; i < 24; ++i) {
    before = admin_.get("/api/v1/resources/" + id);
    ASSERT_EQ(before.status, 200);
  }

  const auto [code, output] = rebuild({"--batch-size", "2"});
  ASSERT_EQ(code, 0) << output;
  EXPECT_NE(output.find("rebuilt 13 entity types"), std::string::npos) << output;
  EXPECT_NE(output.find("user_credentials left as they are"), std::string::npos) << output;
  EXPECT_NE(output.find("events/s"), std::string::npos) << output;
  EXPECT_EQ(output.find("rebuild: "), output.rfind("rebuild: "))
      << "the elapsed time is reported once:\n"
      << output;

  // Every worker connection, with its statements prepared before the swap, still answers.
  for (int i = 0; i < 24; ++i) {
    const auto after = admin_.get("/api/v1/resources/" + id);
    ASSERT_EQ(after.status, 200) << after.body;
    EXPECT_EQ(after.body, before.body);
  }
  const auto updated =
      admin_.patch("/api/v1/resources/" + id, json::object{{"version", 1}, {"name", "Renamed"}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.object().at("version").as_int64(), 2);
  EXPECT_EQ(list_ids("portfolios"),
            std::vector<std::string>{std::string(portfolio.at("id").as_string())});
  // Unique names still hold after the swap (rule query and unique index on the new table).
  const auto duplicate = admin_.post("/api/v1/portfolios", create_body("portfolios", {}, 1));
  expect_problem(duplicate, 409, "constraint");
  // The admin's password hash was left alone: logging in still works.
  EXPECT_FALSE(token_for(kAdminUsername, kAdminPassword).empty());
}

TEST_P(RebuildProcess, KillNineDuringARebuildThenRunningAgainResumesAndEndsEqual) {
  auto store = db_->open_store();
  {
    commands::CommandHandler handler(*store, commands::PasswordPolicy::fast_for_tests());
    testing::World world(handler, 0x67000001);
    testing::SeededRandom r(11);
    for (int i = 0; i < 60; ++i) {
      auto state = world.create(r, i % 2 ? "resource" : "worker_type");
      const auto& spec = testing::spec_of(i % 2 ? "resource" : "worker_type");
      for (int u = 0; u < 4; ++u) {
        state =
            testing::require_ok(
                handler.update(world.context(),
                               commands::UpdateEntity{&spec, state.id, state.version,
                                                      world.update_plan(r, spec.type, state).sent}),
                "update")
                .entity;
      }
    }
  }
  const auto expected = testing::dump_read_models(*store);
  auto checkpoint = [&] {
    std::optional<projections::Checkpoint> c;
    store->transact(store::Access::read_only, [&](store::Transaction& tx) {
      c = projections::read_checkpoint(tx, projections::kRebuildJob);
      return store::Verdict::commit;
    });
    return c;
  };

  const std::string out = output_path("killed");
  const pid_t pid = testing::start_folio({"--db", db_->url(), "rebuild", "--batch-size", "1"}, out);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto c = checkpoint();
    if (c && c->position > 20) break;
    std::this_thread::sleep_for(1ms);
  }
  ::kill(pid, SIGKILL);
  ASSERT_EQ(testing::wait_folio(pid), 128 + SIGKILL) << testing::read_file(out);
  const auto left = checkpoint();
  ASSERT_TRUE(left.has_value()) << "the rebuild finished before it was killed";
  EXPECT_GT(left->position, 20);
  // The live read models were not touched by the killed run.
  EXPECT_TRUE(testing::dump_read_models(*store) == expected);

  const auto [code, output] = rebuild({"--batch-size", "7"});
  ASSERT_EQ(code, 0) << output;
  EXPECT_NE(output.find("resumed an interrupted rebuild from position"), std::string::npos)
      << output;
  EXPECT_FALSE(checkpoint().has_value());
  EXPECT_TRUE(testing::dump_read_models(*store) == expected);

  // Another kill, then a run with another entity set: it says it starts over.
  const pid_t second =
      testing::start_folio({"--db", db_->url(), "rebuild", "--batch-size", "1"}, out);
  while (!checkpoint() || checkpoint()->position < 5) std::this_thread::sleep_for(1ms);
  ::kill(second, SIGKILL);
  testing::wait_folio(second);
  const auto [code2, output2] = rebuild({"--entity", "resource"});
  ASSERT_EQ(code2, 0) << output2;
  EXPECT_NE(output2.find("discarded an interrupted rebuild"), std::string::npos) << output2;
  EXPECT_TRUE(testing::dump_read_models(*store) == expected);
}

TEST_P(RebuildProcess, UsageErrorsExitTwoAndChangeNothing) {
  EXPECT_EQ(rebuild({"--entity", "nope"}).first, 2);
  EXPECT_EQ(rebuild({"--batch-size", "0"}).first, 2);
  EXPECT_EQ(rebuild({"--bogus"}).first, 2);
  const auto [code, help] = rebuild({"--help"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(help.find("Exit status"), std::string::npos);
}

// ---- the utilisation view over HTTP ------------------------------------------------------

class UtilisationApi : public HttpApiTest {
 protected:
  // Polls until the view shows `want` on `date` (it is asynchronous); the last answer.
  json::object wait_for_day(const std::string& resource, const std::string& date,
                            std::int64_t want) {
    json::object body;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto r =
          admin_.get("/api/v1/resources/" + resource + "/utilisation?from=" + date + "&to=" + date);
      EXPECT_EQ(r.status, 200) << r.body;
      body = r.object();
      if (body.at("days").as_array().at(0).as_object().at("allocated_percentage").as_int64() ==
          want) {
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    return body;
  }
};

TEST_P(UtilisationApi, AnswersEveryDayOfTheRangeWithAllocatedAndAvailable) {
  Parents p;
  p.portfolio_id =
      std::string(create("portfolios", create_body("portfolios", p, 1)).at("id").as_string());
  p.program_id =
      std::string(create("programs", create_body("programs", p, 1)).at("id").as_string());
  const std::string project_a(
      create("projects", create_body("projects", p, 1)).at("id").as_string());
  const std::string project_b(
      create("projects", create_body("projects", p, 2)).at("id").as_string());
  p.resource_id =
      std::string(create("resources", create_body("resources", p, 1)).at("id").as_string());
  p.project_id = project_a;
  auto a = create_body("resource-assignments", p, 10);
  a["capital_percentage"] = 40;
  a["expense_percentage"] = 20;
  const std::string first(create("resource-assignments", a).at("id").as_string());
  p.project_id = project_b;
  create("resource-assignments", create_body("resource-assignments", p, 10));  // 10 + 10
  const std::string date = day(10);

  const auto body = wait_for_day(p.resource_id, date, 80);
  EXPECT_EQ(body.at("resource_id").as_string(), p.resource_id);
  // An update and a delete move the sum; the view follows.
  ASSERT_EQ(admin_
                .patch("/api/v1/resource-assignments/" + first,
                       json::object{{"version", 1}, {"expense_percentage", 0}})
                .status,
            200);
  wait_for_day(p.resource_id, date, 60);
  ASSERT_EQ(admin_.del("/api/v1/resource-assignments/" + first, {{"If-Match", "\"2\""}}).status,
            204);
  wait_for_day(p.resource_id, date, 20);

  const auto range = admin_.get("/api/v1/resources/" + p.resource_id +
                                "/utilisation?from=" + day(9) + "&to=" + day(11));
  ASSERT_EQ(range.status, 200) << range.body;
  const json::object want{
      {"resource_id", p.resource_id},
      {"from", day(9)},
      {"to", day(11)},
      {"days",
       json::array{
           json::object{
               {"date", day(9)}, {"allocated_percentage", 0}, {"available_percentage", 100}},
           json::object{
               {"date", day(10)}, {"allocated_percentage", 20}, {"available_percentage", 80}},
           json::object{
               {"date", day(11)}, {"allocated_percentage", 0}, {"available_percentage", 100}}}}};
  EXPECT_EQ(range.object(), want);
  // Several resources in one request (a calendar's rows), in the order asked; ids that do
  // not exist are left out.
  const std::string other(create("resources", create_body("resources", p, 2)).at("id").as_string());
  const auto many = admin_.get("/api/v1/resources/utilisation?from=" + day(9) + "&to=" + day(11) +
                               "&resource_id=" + other + "," + random_uuid() + "," + p.resource_id);
  ASSERT_EQ(many.status, 200) << many.body;
  const auto rows = many.object().at("resources").as_array();
  ASSERT_EQ(rows.size(), 2u) << many.body;
  EXPECT_EQ(rows[0].at("resource_id").as_string(), other);
  EXPECT_EQ(rows[0].at("days").as_array().size(), 3u);
  EXPECT_EQ(rows[1].at("resource_id").as_string(), p.resource_id);
  EXPECT_EQ(rows[1].at("days"), want.at("days")) << "the same days as one resource's request";
  EXPECT_EQ(many.object().at("from").as_string(), day(9));
  // A whole year, the largest range allowed: 366 days.
  const auto year = admin_.get("/api/v1/resources/" + p.resource_id +
                               "/utilisation?from=2028-01-01&to=2028-12-31");
  ASSERT_EQ(year.status, 200) << year.body;
  EXPECT_EQ(year.object().at("days").as_array().size(), 366u);

  // The lag gauge is exported, and is 0 once caught up.
  const auto metrics = client().get("/metrics");
  EXPECT_NE(metrics.body.find("folio_projection_lag_events{view=\"resource_utilisation\"} 0"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("folio_projection_lag_seconds{view=\"resource_utilisation\"}"),
            std::string::npos);
}

TEST_P(UtilisationApi, BadRangesAre422AndUnknownResources404) {
  const std::string id(create("resources", create_body("resources", {}, 1)).at("id").as_string());
  const std::string base = "/api/v1/resources/" + id + "/utilisation";
  for (const std::string query :
       {"", "?from=2026-01-01", "?to=2026-01-01", "?from=2026-02-30&to=2026-03-01",
        "?from=2026-01-01&to=tomorrow", "?from=2026-03-02&to=2026-03-01",
        "?from=2026-01-01&to=2027-01-02", "?from=2026-1-1&to=2026-01-02"}) {
    const auto r = admin_.get(base + query);
    expect_problem(r, 422, "validation", query);
    EXPECT_FALSE(r.object().at("errors").as_array().empty()) << query;
  }
  const auto missing_both = admin_.get(base).object().at("errors").as_array();
  EXPECT_EQ(missing_both.size(), 2u);
  expect_problem(admin_.get(base + "?from=2026-01-01&to=2026-01-02&x=1"), 400, "bad_request");
  expect_problem(admin_.get("/api/v1/resources/" + random_uuid() +
                            "/utilisation?from=2026-01-01&to=2026-01-02"),
                 404, "not_found");
  expect_problem(
      admin_.get("/api/v1/resources/not-a-uuid/utilisation?from=2026-01-01&to=2026-01-02"), 404,
      "not_found");
  expect_problem(client().get(base + "?from=2026-01-01&to=2026-01-02"), 401, "unauthenticated");
  expect_problem(admin_.post(base, json::object{}), 405, "method_not_allowed");
  const std::string many = "/api/v1/resources/utilisation?from=2026-01-01&to=2026-01-02";
  expect_problem(admin_.get(many), 422, "validation", "resource_id is required");
  expect_problem(admin_.get(many + "&resource_id=" + id + ",nope"), 400, "bad_request");
  std::string too_many;
  for (int i = 0; i < 201; ++i) too_many += (i ? "," : "") + random_uuid();
  expect_problem(admin_.get(many + "&resource_id=" + too_many), 422, "validation");
  expect_problem(admin_.get("/api/v1/resources/utilisation?resource_id=" + id), 422, "validation");
  expect_problem(client().get(many + "&resource_id=" + id), 401, "unauthenticated");
  // A deleted resource is gone here as in GET of it.
  ASSERT_EQ(admin_.del("/api/v1/resources/" + id, {{"If-Match", "\"1\""}}).status, 204);
  expect_problem(admin_.get(base + "?from=2026-01-01&to=2026-01-02"), 404, "not_found");
}

INSTANTIATE_TEST_SUITE_P(Backends, RebuildProcess,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);
INSTANTIATE_TEST_SUITE_P(Backends, UtilisationApi,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
