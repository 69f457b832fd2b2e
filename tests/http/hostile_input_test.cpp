// A table of hostile inputs: invalid JSON, wrong top-level types, wrong field types,
// unknown fields, overlong strings, huge bodies, deep nesting, bad UTF-8, bad ids, wrong
// content types and bad versions. Each is answered with the status API.md names, writes
// nothing (histories and lists are unchanged), and leaves the server healthy.
#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

class HttpHostileInput : public HttpApiTest {
 protected:
  void SetUp() override {
    HttpApiTest::SetUp();
    if (HasFatalFailure()) return;
    parents_.portfolio_id = id_of(create("portfolios", create_body("portfolios", parents_, 1)));
    parents_.program_id = id_of(create("programs", create_body("programs", parents_, 1)));
    project_id_ = id_of(create("projects", create_body("projects", parents_, 1)));
    parents_.project_id = project_id_;
    parents_.resource_id = id_of(create("resources", create_body("resources", parents_, 1)));
    phase_id_ = id_of(create("project-phases", create_body("project-phases", parents_, 1)));
    assignment_id_ =
        id_of(create("resource-assignments", create_body("resource-assignments", parents_, 1)));
  }

  static std::string id_of(const json::object& entity) {
    return entity.contains("id") ? std::string(entity.at("id").as_string()) : "";
  }

  // Everything a hostile request could have changed.
  struct Snapshot {
    std::vector<std::string> ids;
    std::vector<std::size_t> history_sizes;
    bool operator==(const Snapshot&) const = default;
  };
  Snapshot snapshot() {
    Snapshot s;
    for (const char* c : {"portfolios", "programs", "projects", "project-phases", "resources",
                          "resource-assignments", "users"}) {
      for (auto& id : list_ids(c)) s.ids.push_back(std::move(id));
    }
    for (const auto& [c, id] : std::vector<std::pair<std::string, std::string>>{
             {"projects", project_id_},
             {"project-phases", phase_id_},
             {"resource-assignments", assignment_id_}}) {
      s.history_sizes.push_back(history(c, id).size());
    }
    return s;
  }

  json::object project_body(int n) const { return create_body("projects", parents_, n); }
  std::string project_url() const { return "/api/v1/projects/" + project_id_; }

  Parents parents_;
  std::string project_id_, phase_id_, assignment_id_;
};

struct Case {
  std::string name;
  std::string method;
  std::string target;
  std::string body;
  int status;
  std::string error;
  Headers headers = {{"Content-Type", "application/json"}};
};

// `body` with `key` set to `value` (anything Boost.JSON can convert), serialized.
template <class T>
std::string with(json::object body, const std::string& key, T&& value) {
  body[key] = json::value_from(std::forward<T>(value));
  return json::serialize(body);
}

// `body` with `key` set to the raw JSON text `raw` (which need not be valid).
std::string with_raw(json::object body, const std::string& key, const std::string& raw) {
  body[key] = "@@RAW@@";
  std::string text = json::serialize(body);
  text.replace(text.find("\"@@RAW@@\""), 9, raw);
  return text;
}

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_P(HttpHostileInput, EachIsRefusedWritesNothingAndTheServerStaysHealthy) {
  const std::string coll = "/api/v1/projects";
  const std::string url = project_url();
  const std::string phases = "/api/v1/project-phases";
  const std::string assignment_url = "/api/v1/resource-assignments/" + assignment_id_;
  const json::object p = project_body(7);
  json::object phase = create_body("project-phases", parents_, 50);
  json::object assignment = create_body("resource-assignments", parents_, 50);
  const std::string v1 = "{\"version\":1,";
  const std::string two_63 = "9223372036854775808";
  const std::string upper_id = [&] {
    std::string s = project_id_;
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
  }();

  std::vector<Case> cases{
      // Invalid JSON.
      {"truncated JSON", "POST", coll, "{\"name\": ", 400, "bad_request"},
      {"empty body", "POST", coll, "", 400, "bad_request"},
      {"single quotes", "POST", coll, "{'name': 'x'}", 400, "bad_request"},
      {"trailing garbage", "POST", coll, json::serialize(p) + " x", 400, "bad_request"},
      {"two documents", "POST", coll, json::serialize(p) + json::serialize(p), 400, "bad_request"},
      {"comment", "POST", coll, "/* hi */" + json::serialize(p), 400, "bad_request"},
      {"NaN", "PATCH", url, v1 + "\"description\": NaN}", 400, "bad_request"},
      {"truncated PATCH", "PATCH", url, v1, 400, "bad_request"},
      // Wrong top-level type.
      {"array", "POST", coll, "[" + json::serialize(p) + "]", 400, "bad_request"},
      {"string", "POST", coll, "\"project\"", 400, "bad_request"},
      {"number", "POST", coll, "42", 400, "bad_request"},
      {"null", "POST", coll, "null", 400, "bad_request"},
      {"boolean", "PUT", url, "true", 400, "bad_request"},
      {"array PATCH", "PATCH", url, "[1]", 400, "bad_request"},
      // Wrong field types and values.
      {"name a number", "POST", coll, with(p, "name", 5), 422, "validation"},
      {"name a boolean", "POST", coll, with(p, "name", true), 422, "validation"},
      {"required name null", "POST", coll, with(p, "name", nullptr), 422, "validation"},
      {"name blank", "POST", coll, with(p, "name", "   "), 422, "validation"},
      {"date a number", "POST", coll, with(p, "start_date", 20260101), 422, "validation"},
      {"date impossible", "POST", coll, with(p, "start_date", "2026-02-30"), 422, "validation"},
      {"date short", "POST", coll, with(p, "start_date", "26-01-01"), 422, "validation"},
      {"date with time", "POST", coll, with(p, "start_date", "2026-01-01T00:00:00Z"), 422,
       "validation"},
      {"end before start", "POST", coll, with(p, "end_date", "2025-01-01"), 422, "validation"},
      {"reference a number", "POST", coll, with(p, "program_id", 12), 422, "validation"},
      {"reference not a UUID", "POST", coll, with(p, "program_id", "program-1"), 422, "validation"},
      {"reference to nothing", "POST", coll, with(p, "program_id", random_uuid()), 422,
       "validation"},
      {"an object field", "POST", coll, with(p, "description", json::object{{"a", 1}}), 422,
       "validation"},
      {"an array field", "POST", coll, with(p, "description", json::array{1}), 422, "validation"},
      {"PATCH name a number", "PATCH", url, v1 + "\"name\": 5}", 422, "validation"},
      {"money a JSON number", "POST", phases, with(phase, "capital_budget", 500.0), 422,
       "validation"},
      {"money with 3 decimals", "POST", phases, with(phase, "capital_budget", "500.005"), 422,
       "validation"},
      {"money negative", "POST", phases, with(phase, "capital_budget", "-1.00"), 422, "validation"},
      {"money exponent", "POST", phases, with(phase, "capital_budget", "1e3"), 422, "validation"},
      {"money huge", "POST", phases, with(phase, "capital_budget", std::string(400, '9') + ".00"),
       422, "validation"},
      {"percentage a fraction", "POST", "/api/v1/resource-assignments",
       with(assignment, "capital_percentage", 1.5), 422, "validation"},
      {"percentage a string", "POST", "/api/v1/resource-assignments",
       with(assignment, "capital_percentage", "50"), 422, "validation"},
      {"percentage 101", "POST", "/api/v1/resource-assignments",
       with(assignment, "capital_percentage", 101), 422, "validation"},
      {"percentage -1", "POST", "/api/v1/resource-assignments",
       with(assignment, "capital_percentage", -1), 422, "validation"},
      {"percentage 2^64", "POST", "/api/v1/resource-assignments",
       with_raw(assignment, "capital_percentage", "18446744073709551616"), 422, "validation"},
      {"percentage as float 1e2", "PATCH", assignment_url, v1 + "\"capital_percentage\": 1e2}", 422,
       "validation"},
      {"number 1e400", "PATCH", assignment_url, v1 + "\"capital_percentage\": 1e400}", 422,
       "validation"},
      {"fixed field changed", "PATCH", assignment_url,
       v1 + "\"assignment_date\": \"" + day(2) + "\"}", 422, "validation"},
      {"choice not allowed", "POST", "/api/v1/resources",
       json::serialize(json::object{{"name", "R"}, {"resource_type", "robot"}}), 422, "validation"},
      {"NUL in a string", "POST", coll, with(p, "name", std::string("a\0b", 3)), 422, "validation"},
      // Unknown and read-only fields.
      {"unknown field", "POST", coll, with(p, "colour", "red"), 422, "validation"},
      {"unknown field PATCH", "PATCH", url, v1 + "\"colour\": \"red\"}", 422, "validation"},
      {"created_at", "PATCH", url, v1 + "\"created_at\": \"2020-01-01T00:00:00.000Z\"}", 422,
       "validation"},
      {"derived total_budget", "POST", phases, with(phase, "total_budget", "1.00"), 422,
       "validation"},
      {"id differs from the address", "PATCH", url, v1 + "\"id\": \"" + random_uuid() + "\"}", 422,
       "validation"},
      // Overlong strings (characters, not bytes).
      {"name 256", "POST", coll, with(p, "name", std::string(256, 'x')), 422, "validation"},
      {"name 256 two-byte", "POST", coll,
       with(p, "name",
            [] {
              std::string s;
              for (int i = 0; i < 256; ++i) s += "\xc3\xa9";
              return s;
            }()),
       422, "validation"},
      {"cost center 51", "POST", coll, with(p, "cost_center_code", std::string(51, 'C')), 422,
       "validation"},
      {"description 1001", "PATCH", url,
       v1 + "\"description\": \"" + std::string(1001, 'd') + "\"}", 422, "validation"},
      {"a 900 KiB string", "POST", coll, with(p, "description", std::string(900 << 10, 'd')), 422,
       "validation"},
      // Deep nesting.
      {"100000 nested arrays", "POST", coll, nested_arrays(100000), 400, "bad_request"},
      {"100000 nested objects", "POST", coll,
       [] {
         std::string s;
         for (int i = 0; i < 100000; ++i) s += "{\"a\":";
         return s + "1" + std::string(100000, '}');
       }(),
       400, "bad_request"},
      {"40 levels in a field", "POST", coll, "{\"name\": " + nested_arrays(40) + "}", 400,
       "bad_request"},
      {"3 levels in a field", "POST", coll,
       with(p, "name", json::object{{"a", json::object{{"b", 1}}}}), 422, "validation"},
      // Bad UTF-8.
      {"invalid byte", "POST", coll,
       with_raw(p, "name",
                "\"a\xff"
                "b\""),
       400, "bad_request"},
      {"overlong encoding", "POST", coll, with_raw(p, "name", "\"\xc0\xaf\""), 400, "bad_request"},
      {"truncated sequence", "POST", coll, with_raw(p, "name", "\"\xe2\x82\""), 400, "bad_request"},
      {"encoded surrogate", "POST", coll, with_raw(p, "name", "\"\xed\xa0\x80\""), 400,
       "bad_request"},
      {"lone surrogate escape", "POST", coll, with_raw(p, "name", "\"\\ud800\""), 400,
       "bad_request"},
      // Bad ids.
      {"id not a UUID", "GET", "/api/v1/projects/not-a-uuid", "", 404, "not_found", {}},
      {"id upper-case", "GET", "/api/v1/projects/" + upper_id, "", 404, "not_found", {}},
      {"id with a suffix", "GET", url + "x", "", 404, "not_found", {}},
      {"id 10000 chars",
       "GET",
       "/api/v1/projects/" + std::string(10000, 'a'),
       "",
       404,
       "not_found",
       {}},
      {"id traversal", "GET", "/api/v1/projects/..%2F..%2Fetc%2Fpasswd", "", 404, "not_found", {}},
      {"id with NUL", "GET", "/api/v1/projects/%00", "", 404, "not_found", {}},
      {"history of a bad id", "GET", "/api/v1/projects/xyz/history", "", 404, "not_found", {}},
      {"PATCH a bad id", "PATCH", "/api/v1/projects/not-a-uuid", "{\"version\":1}", 404,
       "not_found"},
      {"DELETE a bad id",
       "DELETE",
       "/api/v1/projects/not-a-uuid?version=1",
       "",
       404,
       "not_found",
       {}},
      {"bad percent-encoding", "GET", "/api/v1/projects/%zz", "", 400, "bad_request", {}},
      {"create with a bad id", "POST", coll, with(p, "id", "not-a-uuid"), 422, "validation"},
      {"create with an upper-case id", "POST", coll, with(p, "id", upper_id), 422, "validation"},
      {"create with a numeric id", "POST", coll, with(p, "id", 5), 422, "validation"},
      {"create with the id of another project", "POST", coll, with(p, "id", project_id_), 409,
       "constraint"},
      // Bad query parameters.
      {"limit 0", "GET", coll + "?limit=0", "", 400, "bad_request", {}},
      {"limit 501", "GET", coll + "?limit=501", "", 400, "bad_request", {}},
      {"limit -1", "GET", coll + "?limit=-1", "", 400, "bad_request", {}},
      {"limit x", "GET", coll + "?limit=x", "", 400, "bad_request", {}},
      {"limit huge", "GET", coll + "?limit=" + two_63, "", 400, "bad_request", {}},
      {"cursor garbage", "GET", coll + "?cursor=abc", "", 400, "bad_request", {}},
      {"filter not a UUID", "GET", coll + "?program_id=abc", "", 400, "bad_request", {}},
      {"unknown filter", "GET", coll + "?colour=red", "", 400, "bad_request", {}},
      // A NUL in the query: no parameter holds one (PostgreSQL's text could not store it).
      {"filter with NUL", "GET", coll + "?program_id=%00", "", 400, "bad_request", {}},
      {"limit with NUL", "GET", coll + "?limit=5%00", "", 400, "bad_request", {}},
      {"name with NUL", "GET", coll + "?a%00=1", "", 400, "bad_request", {}},
      {"feed filter with NUL",
       "GET",
       "/api/v1/events?entity_type=project%00x",
       "",
       400,
       "bad_request",
       {}},
      {"changes filter with NUL",
       "GET",
       "/api/v1/changes?entity_type=project%00",
       "",
       400,
       "bad_request",
       {}},
      {"unknown filter, not UTF-8", "GET", coll + "?%FF%FE=1", "", 400, "bad_request", {}},
      {"unknown collection, not UTF-8", "GET", "/api/v1/%FF%FE", "", 404, "not_found", {}},
      {"unknown collection, a control character", "GET", "/api/v1/a%0Ab", "", 404, "not_found", {}},
      // Wrong content type.
      {"text/plain",
       "POST",
       coll,
       json::serialize(p),
       415,
       "unsupported_media_type",
       {{"Content-Type", "text/plain"}}},
      {"no content type", "POST", coll, json::serialize(p), 415, "unsupported_media_type", {}},
      {"form",
       "POST",
       coll,
       "name=x",
       415,
       "unsupported_media_type",
       {{"Content-Type", "application/x-www-form-urlencoded"}}},
      {"xml",
       "PATCH",
       url,
       "<version>1</version>",
       415,
       "unsupported_media_type",
       {{"Content-Type", "application/xml"}}},
      {"json-ish",
       "PATCH",
       url,
       v1 + "\"name\":\"x\"}",
       415,
       "unsupported_media_type",
       {{"Content-Type", "application/jsonx"}}},
      // Bad versions, in the body.
      {"version \"1\"", "PATCH", url, "{\"version\": \"1\", \"name\": \"x\"}", 422, "validation"},
      {"version null", "PATCH", url, "{\"version\": null, \"name\": \"x\"}", 422, "validation"},
      {"version 1.5", "PATCH", url, "{\"version\": 1.5, \"name\": \"x\"}", 422, "validation"},
      {"version 1.0", "PATCH", url, "{\"version\": 1.0, \"name\": \"x\"}", 422, "validation"},
      {"version true", "PATCH", url, "{\"version\": true, \"name\": \"x\"}", 422, "validation"},
      {"version 0", "PATCH", url, "{\"version\": 0, \"name\": \"x\"}", 422, "validation"},
      {"version -1", "PATCH", url, "{\"version\": -1, \"name\": \"x\"}", 422, "validation"},
      {"version 2^63", "PATCH", url, "{\"version\": " + two_63 + ", \"name\": \"x\"}", 422,
       "validation"},
      {"version 2^64", "PATCH", url, "{\"version\": 18446744073709551616, \"name\": \"x\"}", 422,
       "validation"},
      {"version [1]", "PATCH", url, "{\"version\": [1], \"name\": \"x\"}", 422, "validation"},
      {"version 2^63-1 (stale)", "PATCH", url,
       "{\"version\": 9223372036854775807, \"name\": \"x\"}", 409, "conflict"},
      // ... in If-Match.
      {"If-Match abc",
       "PATCH",
       url,
       "{\"name\": \"x\"}",
       422,
       "validation",
       {{"Content-Type", "application/json"}, {"If-Match", "abc"}}},
      {"If-Match \"0\"",
       "PATCH",
       url,
       "{\"name\": \"x\"}",
       422,
       "validation",
       {{"Content-Type", "application/json"}, {"If-Match", "\"0\""}}},
      {"If-Match \"-1\"",
       "PATCH",
       url,
       "{\"name\": \"x\"}",
       422,
       "validation",
       {{"Content-Type", "application/json"}, {"If-Match", "\"-1\""}}},
      {"If-Match \"1.5\"",
       "PATCH",
       url,
       "{\"name\": \"x\"}",
       422,
       "validation",
       {{"Content-Type", "application/json"}, {"If-Match", "\"1.5\""}}},
      {"If-Match 2^63",
       "PATCH",
       url,
       "{\"name\": \"x\"}",
       422,
       "validation",
       {{"Content-Type", "application/json"}, {"If-Match", "\"" + two_63 + "\""}}},
      {"If-Match *",
       "PATCH",
       url,
       "{\"name\": \"x\"}",
       422,
       "validation",
       {{"Content-Type", "application/json"}, {"If-Match", "*"}}},
      {"If-Match list",
       "PATCH",
       url,
       "{\"name\": \"x\"}",
       422,
       "validation",
       {{"Content-Type", "application/json"}, {"If-Match", "\"1\", \"2\""}}},
      // ... and in ?version= (and If-Match) of a delete.
      {"?version=abc", "DELETE", url + "?version=abc", "", 422, "validation", {}},
      {"?version=0", "DELETE", url + "?version=0", "", 422, "validation", {}},
      {"?version=-1", "DELETE", url + "?version=-1", "", 422, "validation", {}},
      {"?version=1.5", "DELETE", url + "?version=1.5", "", 422, "validation", {}},
      {"?version=true", "DELETE", url + "?version=true", "", 422, "validation", {}},
      {"?version=2^63", "DELETE", url + "?version=" + two_63, "", 422, "validation", {}},
      {"?version= (empty)", "DELETE", url + "?version=", "", 422, "validation", {}},
      {"DELETE If-Match \"x\"", "DELETE", url, "", 422, "validation", {{"If-Match", "\"x\""}}},
      {"DELETE with disagreeing versions",
       "DELETE",
       url + "?version=1",
       "",
       422,
       "validation",
       {{"If-Match", "\"2\""}}},
      {"DELETE without a version", "DELETE", url, "", 422, "validation", {}},
      {"DELETE stale", "DELETE", url + "?version=9", "", 409, "conflict", {}},
      // ... and on create.
      {"create version \"1\"", "POST", coll, with(p, "version", "1"), 422, "validation"},
      {"create version 2", "POST", coll, with(p, "version", 2), 422, "validation"},
      {"create version 0", "POST", coll, with(p, "version", 0), 422, "validation"},
      {"create version null", "POST", coll, with(p, "version", nullptr), 422, "validation"},
      // Methods.
      {"unknown method", "BREW", url, "", 405, "method_not_allowed", {}},
      {"unknown method on a collection", "PURGE", coll, "", 405, "method_not_allowed", {}},
  };
  Snapshot before = snapshot();
  ASSERT_FALSE(before.ids.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    // A fresh connection for each, so that one that the server closes cannot spoil the next.
    HttpClient hostile = client(false);
    hostile.set_token(admin_.token());
    const auto r = hostile.send({c.method, c.target, c.body, c.headers});
    expect_problem(r, c.status, c.error, c.name);  // (its body parses as UTF-8 JSON)
    EXPECT_FALSE(r.header("X-Request-Id").empty());
    EXPECT_EQ(r.body.find("SELECT"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("sqlite"), std::string::npos) << r.body;
    const Snapshot after = snapshot();
    if (!(after == before)) {
      ADD_FAILURE() << c.name << " wrote something";
      before = after;  // judge the next cases on their own
    }
    expect_healthy();
  }
  // The edges that must still pass: 255 characters of two bytes each, and a body of exactly
  // the limit (its description too long, so 422 rather than 413).
  std::string name255;
  for (int i = 0; i < 255; ++i) name255 += "\xc3\xa9";
  json::object long_name = project_body(8);
  long_name["name"] = name255;
  auto r = admin_.post("/api/v1/projects", long_name);
  EXPECT_EQ(r.status, 201) << r.body.substr(0, 300);
  if (r.status == 201) {
    EXPECT_EQ(r.object().at("name"), json::value(name255));
  }
  json::object at_limit = project_body(9);
  at_limit["description"] = "";
  const std::size_t overhead = json::serialize(at_limit).size();
  at_limit["description"] = std::string((1u << 20) - overhead, 'd');
  ASSERT_EQ(json::serialize(at_limit).size(), 1u << 20);
  r = admin_.post("/api/v1/projects", at_limit);
  expect_problem(r, 422, "validation", "a body of exactly 1 MiB");
}

TEST_P(HttpHostileInput, HugeBodiesAre413AndMalformedHttpIs400) {
  const Snapshot before = snapshot();
  const std::string auth = "Authorization: Bearer " + admin_.token() + "\r\n";
  const std::string huge(2u << 20, 'x');
  const std::string json_huge = "{\"name\": \"" + huge + "\"}";
  // Content-Length over the limit: refused as soon as the headers are read.
  {
    const std::string head =
        "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\n" + auth +
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(json_huge.size()) +
        "\r\n\r\n";
    const std::string raw = raw_exchange(port(), head, std::chrono::seconds(10));
    EXPECT_EQ(raw_status(raw), 413) << raw.substr(0, 300);
    EXPECT_NE(raw.find("payload_too_large"), std::string::npos) << raw.substr(0, 300);
    // ... and with the whole body sent (the server may stop reading it).
    const std::string all = raw_exchange(port(), head + json_huge, std::chrono::seconds(10));
    EXPECT_EQ(raw_status(all), 413) << all.substr(0, 300);
  }
  // Chunked, without a Content-Length: refused once the limit is passed.
  {
    std::string chunked = "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\n" + auth +
                          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string piece(64 << 10, 'x');
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    for (int i = 0; i < 40; ++i) chunked += size + piece + "\r\n";
    chunked += "0\r\n\r\n";
    const std::string raw = raw_exchange(port(), chunked, std::chrono::seconds(10));
    EXPECT_EQ(raw_status(raw), 413) << raw.substr(0, 300);
  }
  // Not HTTP.
  struct RawCase {
    std::string name, bytes;
    int status;
  };
  const std::vector<RawCase> raw_cases{
      {"garbage", "HELLO WORLD\r\n\r\n", 400},
      {"binary", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n", 400},
      {"bad content length",
       "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400},
      {"negative content length",
       "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400},
      {"two content lengths",
       "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: "
       "3\r\n\r\n{}",
       400},
      {"content length and chunked",
       "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: "
       "chunked\r\n\r\n"
       "0\r\n\r\n",
       400},
      {"headers over the limit",
       "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(32 << 10, 'b') + "\r\n\r\n",
       431},
      {"bad chunk size",
       "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       400},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
  };
  for (const auto& c : raw_cases) {
    SCOPED_TRACE(c.name);
    const std::string raw = raw_exchange(port(), c.bytes, std::chrono::seconds(10));
    EXPECT_EQ(raw_status(raw), c.status) << raw.substr(0, 300);
    expect_healthy();
  }
  // Requests cut short, and connections that send nothing: the server just closes them.
  for (const std::string& partial : {std::string("GET /healthz HTTP/1.1\r\nHost"),
                                     std::string("POST /api/v1/projects HTTP/1.1\r\n"
                                                 "Content-Length: 100\r\n\r\n{\"na"),
                                     std::string()}) {
    raw_exchange(port(), partial, std::chrono::milliseconds(200), /*half_close=*/true);
  }
  expect_healthy();
  EXPECT_TRUE(snapshot() == before) << "a refused request wrote something";
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpHostileInput,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
