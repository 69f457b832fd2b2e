// What operators and client generators see: /metrics (requests by route and status,
// conflicts by entity type, bounded label sets), /healthz, X-Request-Id, and the OpenAPI
// 3.1 document (valid JSON, every path, `version` in every entity schema, and valid
// against the OpenAPI 3.1 schema when openapi-spec-validator is installed).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

class HttpObservability : public HttpApiTest {};

TEST_P(HttpObservability, MetricsCountRequestsByRouteAndStatusAndConflictsByType) {
  Parents p;
  p.portfolio_id =
      std::string(create("portfolios", create_body("portfolios", p, 1)).at("id").as_string());
  p.program_id =
      std::string(create("programs", create_body("programs", p, 1)).at("id").as_string());
  const auto project = create("projects", create_body("projects", p, 1));
  const std::string url = "/api/v1/projects/" + std::string(project.at("id").as_string());
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 1}, {"name", "B"}}).status, 200);
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 1}, {"name", "C"}}).status, 409);
  ASSERT_EQ(admin_.del(url + "?version=1").status, 409);
  ASSERT_EQ(admin_.get("/api/v1/projects/" + random_uuid()).status, 404);
  p.project_id = std::string(project.at("id").as_string());
  p.resource_id =
      std::string(create("resources", create_body("resources", p, 1)).at("id").as_string());
  const auto a = create("resource-assignments", create_body("resource-assignments", p, 1));
  const auto bulk = admin_.post("/api/v1/resource-assignments/bulk-update",
                                json::array{json::object{{"id", a.at("id")}, {"version", 5}}});
  ASSERT_EQ(bulk.status, 200);
  // Label sets stay bounded whatever clients send: unknown paths are one route, unknown
  // methods one method.
  HttpClient anonymous = client();
  for (int i = 0; i < 20; ++i) {
    anonymous.get("/random/path/" + std::to_string(i));
    anonymous.send({"XMETHOD" + std::to_string(i), "/healthz", "", {}});
  }

  const auto r = client().get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type").rfind("text/plain", 0), 0u) << r.header("Content-Type");
  const std::string& m = r.body;
  EXPECT_EQ(
      metric_sample(
          m, R"(folio_http_requests_total{method="POST",route="/api/v1/projects",status="201"})"),
      1)
      << m;
  EXPECT_EQ(
      metric_sample(
          m,
          R"(folio_http_requests_total{method="PATCH",route="/api/v1/projects/{id}",status="200"})"),
      1)
      << m;
  EXPECT_EQ(
      metric_sample(
          m,
          R"(folio_http_requests_total{method="PATCH",route="/api/v1/projects/{id}",status="409"})"),
      1)
      << m;
  EXPECT_EQ(
      metric_sample(
          m,
          R"(folio_http_requests_total{method="DELETE",route="/api/v1/projects/{id}",status="409"})"),
      1)
      << m;
  EXPECT_EQ(
      metric_sample(
          m,
          R"(folio_http_requests_total{method="GET",route="/api/v1/projects/{id}",status="404"})"),
      1)
      << m;
  EXPECT_EQ(
      metric_sample(
          m,
          R"(folio_http_requests_total{method="POST",route="/api/v1/resource-assignments/bulk-update",status="200"})"),
      1)
      << m;
  EXPECT_EQ(metric_sample(m, R"(folio_version_conflicts_total{entity_type="project"})"), 2) << m;
  EXPECT_EQ(metric_sample(m, R"(folio_version_conflicts_total{entity_type="resource_assignment"})"),
            1)
      << m;
  EXPECT_GT(metric_sample(
                m, R"(folio_http_request_duration_seconds_count{route="/api/v1/projects/{id}"})"),
            0)
      << m;
  EXPECT_GT(
      metric_sample(
          m,
          R"(folio_http_request_duration_seconds_bucket{route="/api/v1/projects/{id}",le="+Inf"})"),
      0)
      << m;
  EXPECT_EQ(m.find("/random/path"), std::string::npos);
  EXPECT_EQ(m.find("XMETHOD"), std::string::npos) << "client-chosen methods became label values";
  // Every sample line is well-formed: name{labels} value.
  static const std::regex line_format(
      R"(^[a-z_]+(\{[a-z_]+="[^"\n]*"(,[a-z_]+="[^"\n]*")*\})? [-+0-9.eEInf]+$)");
  std::istringstream lines(m);
  std::string line;
  std::set<std::string> routes;
  static const std::regex route_label(R"re(route="([^"]*)")re");
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, line_format)) << line;
    std::smatch match;
    if (std::regex_search(line, match, route_label)) routes.insert(match[1].str());
  }
  EXPECT_LE(routes.size(), 20u) << "route labels must be templates, not addresses";
}

TEST_P(HttpObservability, EveryConflictCounterStartsAtZeroAndTheStoreReportsItsWork) {
  // Before any conflict: a series per entity type, so that dashboards and rate() see it.
  std::string m = client().get("/metrics").body;
  for (const auto& c : all_collections()) {
    EXPECT_EQ(metric_sample(
                  m, "folio_version_conflicts_total{entity_type=\"" + entity_type_of(c) + "\"}"),
              0)
        << c;
  }
  const auto made = create("resources", create_body("resources", {}, 1));
  const std::string url = "/api/v1/resources/" + std::string(made.at("id").as_string());
  ASSERT_EQ(admin_.patch(url, json::object{{"version", 1}, {"name", "Renamed"}}).status, 200);
  ASSERT_EQ(admin_.get(url).status, 200);
  m = client().get("/metrics").body;
  // Every unit of work is timed, reads and writes apart.
  for (const std::string kind : {"read", "write"}) {
    const double count =
        metric_sample(m, "folio_store_unit_duration_seconds_count{kind=\"" + kind + "\"}");
    EXPECT_GE(count, 1) << kind << "\n" << m;
    EXPECT_EQ(metric_sample(
                  m, "folio_store_unit_duration_seconds_bucket{kind=\"" + kind + "\",le=\"+Inf\"}"),
              count);
    EXPECT_GT(metric_sample(m, "folio_store_unit_duration_seconds_sum{kind=\"" + kind + "\"}"), 0);
    EXPECT_LE(metric_sample(m, "folio_store_unit_duration_seconds_bucket{kind=\"" + kind +
                                   "\",le=\"0.0005\"}"),
              count);
  }
  // The log sealer reaches the database and seals the new events within moments.
  for (int i = 0; i < 100 && metric_sample(m, "folio_log_seal_lag_seconds") != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    m = client().get("/metrics").body;
  }
  EXPECT_EQ(metric_sample(m, "folio_log_sealer_up"), 1) << m;
  EXPECT_EQ(metric_sample(m, "folio_log_seal_lag_seconds"), 0) << m;
  if (GetParam() == Backend::postgres) {
    // The creation and the update went through group commit, the update (decided on the
    // rows the creation left) without blocking its loop; the GET through the loop's pipeline.
    EXPECT_GE(metric_sample(m, "folio_store_group_commit_writes_total"), 2) << m;
    EXPECT_GE(metric_sample(m, "folio_store_pipelined_writes_total"), 1) << m;

    EXPECT_GE(metric_sample(m, "folio_store_group_commit_batches_total"), 1) << m;
    EXPECT_GE(metric_sample(m, "folio_store_pipelined_statements_total"), 1) << m;
    EXPECT_GE(metric_sample(m, "folio_store_pipelined_batches_total"), 1) << m;
    EXPECT_EQ(metric_sample(m, "folio_store_pipelined_failures_total"), 0) << m;
    EXPECT_GE(metric_sample(m, "folio_store_pool_waits_total"), 0) << m;
  } else {
    EXPECT_EQ(m.find("folio_store_group_commit"), std::string::npos) << "SQLite has none";
    EXPECT_EQ(m.find("folio_store_pipelined"), std::string::npos) << "SQLite has none";
  }
}

TEST_P(HttpObservability, OpenConnectionsAreAGauge) {
  HttpClient watcher = client();  // keep-alive: counted in every sample it takes
  const auto open = [&] {
    return metric_sample(watcher.get("/metrics").body, "folio_http_connections_open");
  };
  // The baseline once it holds still: a connection of the fixture's setup (a login) may
  // still be closing on the server's side when the test starts.
  double before = open();
  for (int settled = 0, tries = 0; settled < 3 && tries < 100; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double now = open();
    settled = now == before ? settled + 1 : 0;
    before = now;
  }
  EXPECT_GE(before, 1);
  {
    std::vector<HttpClient> idle;
    for (int i = 0; i < 3; ++i) {
      idle.push_back(client());
      ASSERT_EQ(idle.back().get("/healthz").status, 200);
    }
    EXPECT_EQ(open(), before + 3);
  }  // closed by the clients
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (open() != before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(open(), before);
}

// Operators tell the server's threads apart in `top -H`, `ps -L` and perf by their names.
std::set<std::string> thread_names(pid_t pid) {
  std::set<std::string> names;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

TEST_P(HttpObservability, ThreadsAreNamedForTopAndPerf) {
  Parents p;
  create("resources", create_body("resources", p, 1));  // a write: the store's threads run
  std::set<std::string> expected = {"folio-loop-0", "folio-loop-1", "folio-worker", "log-writer",
                                    "catch-up"};
  if (GetParam() == Backend::sqlite) {
    expected.insert({"sqlite-writer", "sqlite-syncer", "sqlite-checkpt"});
  } else {
    expected.insert("pg-commit");  // the group commit's sender of the loops' writes
  }
  const std::set<std::string> names = thread_names(server_->pid());
  for (const std::string& name : expected) {
    EXPECT_TRUE(names.contains(name))
        << name << " missing; threads: " << ::testing::PrintToString(names);
  }
}

TEST_P(HttpObservability, HealthzAndRequestIds) {
  HttpClient anonymous = client();
  auto r = anonymous.get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  // A client's request id is echoed and logged with the request.
  r = admin_.get("/api/v1/portfolios", {{"X-Request-Id", "trace-abc-123"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("X-Request-Id"), "trace-abc-123");
  const auto logged = server_->wait_for_log(
      [](const json::object& e) {
        return e.if_contains("event") && e.at("event") == "request" &&
               e.at("request_id") == "trace-abc-123";
      },
      std::chrono::seconds(5));
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].at("route"), "/api/v1/portfolios");
  EXPECT_EQ(logged[0].at("status"), 200);
  EXPECT_EQ(logged[0].at("method"), "GET");
  EXPECT_EQ(logged[0].at("user_id"), json::value(admin_id_));
  EXPECT_TRUE(logged[0].at("duration_ms").is_number());
  // Without one (or with one that is not plain), the server makes one up, a new one each time.
  std::set<std::string> ids;
  for (const Headers& h : {Headers{}, Headers{}, Headers{{"X-Request-Id", std::string(200, 'x')}},
                           Headers{{"X-Request-Id", "has spaces and \"quotes\""}}}) {
    r = anonymous.get("/healthz", h);
    const std::string id = r.header("X-Request-Id");
    EXPECT_FALSE(id.empty());
    EXPECT_LE(id.size(), 64u);
    EXPECT_EQ(id.find(' '), std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 4u);
  // Error responses carry it too.
  r = anonymous.get("/api/v1/projects", {{"X-Request-Id", "unauth-1"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("X-Request-Id"), "unauth-1");
}

TEST_P(HttpObservability, OpenApiDocumentDescribesEveryPathAndVersion) {
  HttpClient anonymous = client();  // no token needed
  const auto r = anonymous.get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const auto doc = r.object();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  const auto& paths = doc.at("paths").as_object();
  const auto& schemas = doc.at("components").as_object().at("schemas").as_object();
  for (const auto& c : all_collections()) {
    SCOPED_TRACE(c);
    const std::string base = "/api/v1/" + c;
    ASSERT_TRUE(paths.contains(base));
    for (const char* m : {"get", "post"}) EXPECT_TRUE(paths.at(base).as_object().contains(m)) << m;
    ASSERT_TRUE(paths.contains(base + "/{id}"));
    for (const char* m : {"get", "put", "patch", "delete"}) {
      EXPECT_TRUE(paths.at(base + "/{id}").as_object().contains(m)) << m;
    }
    EXPECT_TRUE(paths.contains(base + "/{id}/history"));
    // The entity schema (referenced by the 200 of GET) has `version`, an integer, required.
    const auto& ref = paths.at(base + "/{id}")
                          .as_object()
                          .at("get")
                          .as_object()
                          .at("responses")
                          .as_object()
                          .at("200")
                          .as_object()
                          .at("content")
                          .as_object()
                          .at("application/json")
                          .as_object()
                          .at("schema")
                          .as_object()
                          .at("$ref");
    const std::string name =
        std::string(ref.as_string()).substr(std::string("#/components/schemas/").size());
    const auto& schema = schemas.at(name).as_object();
    EXPECT_EQ(schema.at("properties").as_object().at("version").as_object().at("type"), "integer");
    const auto& required = schema.at("required").as_array();
    EXPECT_NE(std::find(required.begin(), required.end(), json::value("version")), required.end());
    for (const auto& field : {"id", "created_at", "updated_at"}) {
      EXPECT_TRUE(schema.at("properties").as_object().contains(field)) << field;
    }
    EXPECT_FALSE(schema.at("properties").as_object().contains("password"));
    // Updates take a version; every write lists its 409 and 422.
    EXPECT_TRUE(
        schemas.at(name + "Update").as_object().at("properties").as_object().contains("version"));
    for (const char* m : {"put", "patch", "delete"}) {
      const auto& responses =
          paths.at(base + "/{id}").as_object().at(m).as_object().at("responses").as_object();
      EXPECT_TRUE(responses.contains("409")) << m;
      EXPECT_TRUE(responses.contains("422")) << m;
    }
  }
  for (const char* path :
       {"/api/v1/resource-assignments/bulk-update", "/api/v1/auth/token", "/api/v1/auth/me",
        "/healthz", "/metrics", "/api/v1/openapi.json", "/api/v1/events"}) {
    EXPECT_TRUE(paths.contains(path)) << path;
  }
  // Every schema of an entity carries `version`, whatever name it has.
  for (const auto& [name, schema] : schemas) {
    const auto* props = schema.as_object().if_contains("properties");
    if (!props || !props->as_object().contains("created_at")) continue;
    EXPECT_TRUE(props->as_object().contains("version")) << name;
  }
  // The 409 example is the body of API.md.
  const auto& conflict = doc.at("components")
                             .as_object()
                             .at("responses")
                             .as_object()
                             .at("E409")
                             .as_object()
                             .at("content")
                             .as_object()
                             .at("application/problem+json")
                             .as_object()
                             .at("example")
                             .as_object();
  EXPECT_EQ(conflict.at("type"), "/problems/version-conflict");
  EXPECT_EQ(conflict.at("error"), "conflict");

  // Validation against the OpenAPI 3.1 schema, by openapi-spec-validator. The document does
  // not depend on the backend, and the validator takes seconds: the SQLite instance does it.
  if (GetParam() != Backend::sqlite) return;
  const std::string python = FOLIO_OPENAPI_PYTHON;
  if (python.empty()) {
    GTEST_SKIP() << "openapi-spec-validator is not installed (pip install openapi-spec-validator, "
                    "or apt-get install python3-openapi-spec-validator); the structural checks "
                    "above passed";
  }
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("folio-openapi-" + std::to_string(::getpid()) + ".json"))
                               .string();
  std::ofstream(path) << r.body;
  const std::string command = python + " " + FOLIO_OPENAPI_VALIDATE_SCRIPT + " " + path + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int status = ::pclose(pipe);
  std::filesystem::remove(path);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("valid OpenAPI 3.1"), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpObservability,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
