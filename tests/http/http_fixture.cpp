#include "tests/http/http_fixture.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace folio::http_test {

namespace {

struct CollectionInfo {
  std::string collection, type, prefix;
  std::vector<std::string> references;
  std::vector<std::string> fields;  // every field of the representation (DOMAIN.md)
};

const std::vector<CollectionInfo>& catalog() {
  static const std::vector<CollectionInfo> all = {
      {"portfolios",
       "portfolio",
       "Portfolio",
       {},
       {"name", "description", "owner", "reporting_start_date", "reporting_end_date"}},
      {"programs",
       "program",
       "Program",
       {"portfolio_id"},
       {"portfolio_id", "name", "business_sponsor", "program_manager", "technical_lead",
        "start_date", "end_date", "description"}},
      {"projects",
       "project",
       "Project",
       {"program_id"},
       {"program_id", "name", "business_sponsor", "project_manager", "technical_lead", "start_date",
        "end_date", "cost_center_code", "description"}},
      {"project-phases",
       "project_phase",
       "ProjectPhase",
       {"project_id"},
       {"project_id", "name", "start_date", "end_date", "capital_budget", "expense_budget",
        "total_budget", "description"}},
      {"resources", "resource", "Resource", {}, {"name", "resource_type", "description"}},
      {"worker-types", "worker_type", "WorkerType", {}, {"type", "description"}},
      {"workers",
       "worker",
       "Worker",
       {"worker_type_id"},
       {"worker_type_id", "external_id", "name"}},
      {"resource-assignments",
       "resource_assignment",
       "ResourceAssignment",
       {"resource_id", "project_id"},
       {"resource_id", "project_id", "assignment_date", "capital_percentage",
        "expense_percentage"}},
      {"rates",
       "rate",
       "Rate",
       {"worker_type_id"},
       {"worker_type_id", "rate_amount", "start_date", "end_date"}},
      {"actuals",
       "actual",
       "Actual",
       {"project_id", "worker_id", "resource_assignment_id"},
       {"project_id", "worker_id", "resource_assignment_id", "actual_date", "allocation_percentage",
        "actual_cost", "capital_amount", "expense_amount"}},
      {"users", "user", "User", {}, {"username", "email", "is_active"}},
      {"user-roles", "user_role", "UserRole", {"user_id"}, {"user_id", "role_type", "is_active"}},
      {"scope-assignments",
       "scope_assignment",
       "ScopeAssignment",
       {"user_role_id", "program_id", "project_id"},
       {"user_role_id", "scope_type", "program_id", "project_id", "is_active"}},
  };
  return all;
}

const CollectionInfo& info(const std::string& collection) {
  for (const auto& c : catalog()) {
    if (c.collection == collection) return c;
  }
  throw std::out_of_range("no collection " + collection);
}

}  // namespace

const std::vector<std::string>& all_collections() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& c : catalog()) out.push_back(c.collection);
    return out;
  }();
  return names;
}

std::string entity_type_of(const std::string& collection) { return info(collection).type; }
std::string event_prefix_of(const std::string& collection) { return info(collection).prefix; }
std::vector<std::string> reference_fields_of(const std::string& collection) {
  return info(collection).references;
}
bool is_admin_only(const std::string& c) {
  return c == "users" || c == "user-roles" || c == "scope-assignments";
}
bool is_organisation_wide(const std::string& c) {
  return c == "portfolios" || c == "resources" || c == "worker-types" || c == "workers" ||
         c == "rates";
}

std::string day(int n) {
  if (n < 0 || n > 364) throw std::out_of_range("day " + std::to_string(n));
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 0;
  tm.tm_mday = 1 + n;
  tm.tm_hour = 12;
  ::timegm(&tm);  // normalizes
  char out[11];
  std::strftime(out, sizeof out, "%Y-%m-%d", &tm);
  return out;
}

json::object create_body(const std::string& collection, const Parents& p, int n) {
  const std::string s = std::to_string(n);
  if (collection == "portfolios") {
    return {{"name", "Portfolio " + s},
            {"description", "Portfolio number " + s},
            {"owner", "Owner " + s},
            {"reporting_start_date", "2026-01-01"},
            {"reporting_end_date", "2026-12-31"}};
  }
  if (collection == "programs") {
    return {{"portfolio_id", p.portfolio_id}, {"name", "Program " + s},
            {"business_sponsor", "Sponsor"},  {"program_manager", "Manager"},
            {"technical_lead", "Lead"},       {"start_date", "2026-01-01"},
            {"end_date", "2026-12-31"}};
  }
  if (collection == "projects") {
    return {{"program_id", p.program_id},    {"name", "Project " + s},
            {"business_sponsor", "Sponsor"}, {"project_manager", "Manager"},
            {"technical_lead", "Lead"},      {"start_date", "2026-01-01"},
            {"end_date", "2026-12-31"},      {"cost_center_code", "CC-" + s}};
  }
  if (collection == "project-phases") {
    return {{"project_id", p.project_id},  {"name", "Phase " + s},
            {"start_date", day(n)},        {"end_date", day(n)},
            {"capital_budget", "1000.00"}, {"expense_budget", "500.00"}};
  }
  if (collection == "resources") {
    return {{"name", "Resource " + s}, {"resource_type", "labor"}};
  }
  if (collection == "worker-types") {
    return {{"type", "Worker type " + s}, {"description", "Type number " + s}};
  }
  if (collection == "workers") {
    return {
        {"worker_type_id", p.worker_type_id}, {"external_id", "EXT-" + s}, {"name", "Worker " + s}};
  }
  if (collection == "resource-assignments") {
    return {{"resource_id", p.resource_id},
            {"project_id", p.project_id},
            {"assignment_date", day(n)},
            {"capital_percentage", 10},
            {"expense_percentage", 10}};
  }
  if (collection == "rates") {
    const std::string year = std::to_string(2030 + n);
    return {{"worker_type_id", p.worker_type_id},
            {"rate_amount", "800.00"},
            {"start_date", year + "-01-01"},
            {"end_date", year + "-06-30"}};
  }
  if (collection == "actuals") {
    json::object body{{"project_id", p.project_id}, {"worker_id", p.worker_id},
                      {"actual_date", day(n)},      {"allocation_percentage", 10},
                      {"actual_cost", "100.00"},    {"capital_amount", "40.00"},
                      {"expense_amount", "60.00"}};
    if (!p.resource_assignment_id.empty())
      body["resource_assignment_id"] = p.resource_assignment_id;
    return body;
  }
  if (collection == "users") {
    return {{"username", "user-" + s},
            {"email", "user-" + s + "@example.com"},
            {"password", "password-" + s + "-secret"}};
  }
  if (collection == "user-roles") {
    static const char* kRoles[] = {"viewer", "program_manager", "project_manager",
                                   "finance_manager", "resource_manager"};
    return {{"user_id", p.user_id}, {"role_type", kRoles[n % 5]}};
  }
  if (collection == "scope-assignments") {
    // Odd n: a project scope; even n: a program scope (so n and n + 1 differ).
    if (n % 2 == 0) {
      return {{"user_role_id", p.user_role_id},
              {"scope_type", "program"},
              {"program_id", p.program_id}};
    }
    return {
        {"user_role_id", p.user_role_id}, {"scope_type", "project"}, {"project_id", p.project_id}};
  }
  throw std::out_of_range("no collection " + collection);
}

std::pair<std::string, json::value> probe_change(const std::string& c, int n) {
  const std::string s = std::to_string(n);
  using V = json::value;
  if (c == "project-phases") return {"capital_budget", V(std::to_string(1000 + n) + ".00")};
  if (c == "workers") return {"name", V("Worker renamed " + s)};
  if (c == "resource-assignments") return {"capital_percentage", V(n % 40)};
  if (c == "rates") return {"rate_amount", V(std::to_string(800 + n) + ".00")};
  if (c == "actuals") return {"allocation_percentage", V(1 + n % 40)};
  if (c == "users") return {"email", V("changed-" + s + "@example.com")};
  if (c == "user-roles" || c == "scope-assignments") return {"is_active", V(n % 2 == 0)};
  return {"description", V("Description " + s)};
}

void expect_entity_shape(const json::object& entity, const std::string& collection) {
  for (const char* common : {"id", "version", "created_at", "updated_at"}) {
    EXPECT_TRUE(entity.contains(common)) << collection << " lacks " << common << ": " << entity;
  }
  if (const auto* v = entity.if_contains("version")) {
    EXPECT_TRUE(v->is_int64() && v->get_int64() >= 1) << collection << ": version " << *v;
  }
  // RFC 3339 UTC with milliseconds, whatever the server's local time zone (the tests run
  // in UTC+05:30).
  static const std::regex timestamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  for (const char* stamp : {"created_at", "updated_at"}) {
    if (const auto* v = entity.if_contains(stamp)) {
      EXPECT_TRUE(v->is_string() && std::regex_match(std::string(v->as_string()), timestamp))
          << collection << "." << stamp << " = " << *v;
    }
  }
  for (const auto& field : info(collection).fields) {
    EXPECT_TRUE(entity.contains(field)) << collection << " lacks " << field << ": " << entity;
  }
  EXPECT_FALSE(entity.contains("password")) << entity;
  EXPECT_FALSE(entity.contains("password_hash")) << entity;
}

std::string backend_name_of(const ::testing::TestParamInfo<Backend>& info) {
  return testing::backend_name(info.param);
}

void HttpApiTest::SetUp() {
  db_ = testing::TestDatabase::create(GetParam());
  start_server({db_->url(), {}, true});
}

void HttpApiTest::start_server(const ServeOptions& options) {
  server_ = std::make_unique<ServerProcess>(options);
  ASSERT_NE(server_->port(), 0) << "the server did not start";
  if (!options.bootstrap_admin) return;
  admin_ = login(kAdminUsername, kAdminPassword);
  ASSERT_FALSE(admin_.token().empty());
  const auto me = admin_.get("/api/v1/auth/me");
  ASSERT_EQ(me.status, 200) << me.body;
  admin_id_ = std::string(me.object().at("id").as_string());
}

void HttpApiTest::TearDown() {
  if (server_ && HasFailure()) {
    // The server's own account of what went wrong (errors only: the request lines are many).
    std::istringstream lines(server_->stdout_text());
    std::string line, errors;
    int shown = 0;
    while (std::getline(lines, line) && shown < 20) {
      if (line.find("\"level\":\"error\"") != std::string::npos) {
        errors += line + "\n";
        ++shown;
      }
    }
    if (!errors.empty()) std::cerr << "server errors:\n" << errors;
  }
  if (server_ && server_->running()) {
    const int code = server_->terminate();
    EXPECT_EQ(code, 0) << "folio serve should exit 0 on SIGTERM; stderr:\n"
                       << server_->stderr_text();
  }
  server_.reset();
  db_.reset();
}

std::string HttpApiTest::token_for(const std::string& username, const std::string& password) const {
  HttpClient anonymous = client();
  const auto r = anonymous.post("/api/v1/auth/token",
                                json::object{{"username", username}, {"password", password}});
  EXPECT_EQ(r.status, 200) << "login of " << username << ": " << r.body;
  if (r.status != 200) return "";
  const auto body = r.object();
  EXPECT_EQ(body.at("token_type"), "bearer");
  static const std::regex timestamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  EXPECT_TRUE(body.at("expires_at").is_string() &&
              std::regex_match(std::string(body.at("expires_at").as_string()), timestamp))
      << body.at("expires_at");
  return std::string(body.at("access_token").as_string());
}

HttpClient HttpApiTest::login(const std::string& username, const std::string& password) const {
  HttpClient c = client();
  c.set_token(token_for(username, password));
  return c;
}

json::object HttpApiTest::create(const std::string& collection, const json::object& body) {
  const auto r = admin_.post("/api/v1/" + collection, body);
  EXPECT_EQ(r.status, 201) << "create " << collection << " " << body << ": " << r.body;
  return r.status == 201 ? r.object() : json::object{};
}

HttpApiTest::RoleUser HttpApiTest::create_role_user(const std::string& username,
                                                    const std::string& role,
                                                    const std::string& scope_type,
                                                    const std::string& scope_target) {
  RoleUser u{"", "", "", username, username + "-password", HttpClient(port())};
  u.user_id = std::string(create("users", {{"username", username},
                                           {"email", username + "@example.com"},
                                           {"password", u.password}})
                              .at("id")
                              .as_string());
  u.role_id = std::string(
      create("user-roles", {{"user_id", u.user_id}, {"role_type", role}}).at("id").as_string());
  if (!scope_type.empty()) {
    json::object scope{{"user_role_id", u.role_id}, {"scope_type", scope_type}};
    if (scope_type == "program") scope["program_id"] = scope_target;
    if (scope_type == "project") scope["project_id"] = scope_target;
    u.scope_id = std::string(create("scope-assignments", scope).at("id").as_string());
  }
  u.client = login(username, u.password);
  return u;
}

json::object HttpApiTest::current(const std::string& collection, const std::string& id) {
  const auto r = admin_.get("/api/v1/" + collection + "/" + id);
  return r.status == 200 ? r.object() : json::object{};
}

json::array HttpApiTest::history(const std::string& collection, const std::string& id) {
  const auto r = admin_.get("/api/v1/" + collection + "/" + id + "/history");
  if (r.status != 200) return {};
  return r.object().at("items").as_array();
}

std::vector<std::string> HttpApiTest::list_ids(const std::string& collection,
                                               const std::string& query) {
  std::vector<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    std::string target = "/api/v1/" + collection + "?limit=500";
    if (!query.empty()) target += "&" + query;
    if (!cursor.empty()) target += "&cursor=" + cursor;
    const auto r = admin_.get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    if (r.status != 200) break;
    const auto body = r.object();
    for (const auto& item : body.at("items").as_array()) {
      ids.emplace_back(item.as_object().at("id").as_string());
    }
    if (body.at("next_cursor").is_null()) break;
    cursor = std::string(body.at("next_cursor").as_string());
  }
  return ids;
}

void HttpApiTest::expect_healthy() {
  HttpClient fresh = client(false);
  const auto r = fresh.get("/healthz");
  EXPECT_EQ(r.status, 200) << r.body;
}

void expect_problem(const HttpResponse& r, int status, const std::string& error,
                    const std::string& context) {
  EXPECT_EQ(r.status, status) << context << ": " << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << context;
  if (r.status != status) return;
  const auto body = r.object();
  for (const char* key : {"type", "title", "status", "detail", "error"}) {
    EXPECT_TRUE(body.contains(key)) << context << ": problem without " << key << ": " << r.body;
  }
  if (body.contains("status")) {
    EXPECT_EQ(body.at("status"), status) << context;
  }
  if (body.contains("error")) {
    EXPECT_EQ(body.at("error"), json::value(error)) << context << ": " << r.body;
  }
}

void expect_version_conflict(const HttpResponse& r, const std::string& collection,
                             const std::string& id, std::int64_t expected, std::int64_t current,
                             bool deleted, const std::string& context) {
  expect_problem(r, 409, "conflict", context);
  if (r.status != 409) return;
  const auto body = r.object();
  std::vector<std::string> keys;
  for (const auto& member : body) keys.emplace_back(member.key());
  std::sort(keys.begin(), keys.end());
  const std::vector<std::string> api_keys{"attempted_changes",
                                          "changes_since",
                                          "current_state",
                                          "current_version",
                                          "detail",
                                          "entity_id",
                                          "entity_type",
                                          "error",
                                          "expected_version",
                                          "status",
                                          "title",
                                          "type"};
  EXPECT_EQ(keys, api_keys) << context << ": " << r.body;
  EXPECT_EQ(body.at("type"), "/problems/version-conflict") << context;
  EXPECT_EQ(body.at("title"), "Version conflict") << context;
  EXPECT_EQ(body.at("entity_type"), json::value(entity_type_of(collection))) << context;
  EXPECT_EQ(body.at("entity_id"), json::value(id)) << context;
  EXPECT_EQ(body.at("expected_version"), expected) << context;
  EXPECT_EQ(body.at("current_version"), current) << context;
  EXPECT_TRUE(body.at("attempted_changes").is_object()) << context;
  if (deleted) {
    EXPECT_TRUE(body.at("current_state").is_null()) << context << ": " << r.body;
  } else if (body.at("current_state").is_object()) {
    const auto& state = body.at("current_state").as_object();
    expect_entity_shape(state, collection);
    EXPECT_EQ(state.at("version"), current) << context;
    EXPECT_EQ(state.at("id"), json::value(id)) << context;
  } else {
    ADD_FAILURE() << context << ": current_state is not an object: " << r.body;
  }
  // changes_since: every version after the expected one, oldest first.
  const auto& since = body.at("changes_since").as_array();
  std::vector<std::int64_t> versions;
  for (const auto& entry : since) {
    const auto& e = entry.as_object();
    for (const char* key : {"version", "recorded_at", "user_id", "changes"}) {
      EXPECT_TRUE(e.contains(key)) << context << ": changes_since entry without " << key;
    }
    versions.push_back(e.at("version").as_int64());
  }
  std::vector<std::int64_t> wanted;
  for (auto v = expected + 1; v <= current; ++v) wanted.push_back(v);
  EXPECT_EQ(versions, wanted) << context << ": " << r.body;
  if (deleted && !since.empty()) {
    EXPECT_EQ(since.back().as_object().at("event_type"),
              json::value(event_prefix_of(collection) + "Deleted"))
        << context;
  }
}

std::string quoted(std::int64_t version) { return "\"" + std::to_string(version) + "\""; }

double metric_sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

}  // namespace folio::http_test
