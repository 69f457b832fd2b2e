// POST /api/v1/resource-assignments/bulk-update (API.md "Bulk update of resource
// assignments"): each item on its own, in order; partial success; the whole request
// refused (4xx, nothing written) only when the body itself is malformed.
#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

constexpr const char* kBulk = "/api/v1/resource-assignments/bulk-update";

class HttpBulkUpdate : public HttpApiTest {
 protected:
  void SetUp() override {
    HttpApiTest::SetUp();
    if (HasFatalFailure()) return;
    Parents p;
    p.portfolio_id = id_of(create("portfolios", create_body("portfolios", p, 1)));
    p.program_id = id_of(create("programs", create_body("programs", p, 1)));
    p.project_id = id_of(create("projects", create_body("projects", p, 1)));
    p.resource_id = id_of(create("resources", create_body("resources", p, 1)));
    parents_ = p;
    for (int n = 1; n <= 4; ++n)
      ids_.push_back(
          id_of(create("resource-assignments", create_body("resource-assignments", p, n))));
    // A second assignment of the resource on day 1 (another project), so that capacity can run out.
    Parents other = p;
    json::object project = create_body("projects", p, 2);
    other.project_id = id_of(create("projects", project));
    json::object busy = create_body("resource-assignments", other, 1);
    busy["capital_percentage"] = 40;
    busy["expense_percentage"] = 40;
    busy_id_ = id_of(create("resource-assignments", busy));
  }

  static std::string id_of(const json::object& entity) {
    return entity.contains("id") ? std::string(entity.at("id").as_string()) : "";
  }

  // Versions of every assignment, to show that a refused request wrote nothing.
  std::vector<std::int64_t> versions() {
    std::vector<std::int64_t> out;
    for (const auto& id : ids_)
      out.push_back(current("resource-assignments", id).at("version").as_int64());
    out.push_back(current("resource-assignments", busy_id_).at("version").as_int64());
    return out;
  }

  Parents parents_;
  std::vector<std::string> ids_;  // day 1..4 of project 1, 10 % + 10 %
  std::string busy_id_;           // day 1 of project 2, 40 % + 40 %
};

TEST_P(HttpBulkUpdate, ItemsSucceedAndFailOnTheirOwn) {
  const std::string missing = random_uuid();
  const json::array items{
      // 0: fine.
      json::object{{"id", ids_[0]}, {"version", 1}, {"capital_percentage", 5}},
      // 1: stale.
      json::object{{"id", ids_[1]}, {"version", 7}, {"capital_percentage", 5}},
      // 2: unknown id.
      json::object{{"id", missing}, {"version", 1}, {"capital_percentage", 5}},
      // 3: capital + expense over 100 within the item.
      json::object{
          {"id", ids_[2]}, {"version", 1}, {"capital_percentage", 90}, {"expense_percentage", 20}},
      // 4: the same id again: checked against the version item 0 produced.
      json::object{{"id", ids_[0]}, {"version", 2}, {"expense_percentage", 15}},
      // 5: a wrongly typed field fails this item only.
      json::object{{"id", ids_[3]}, {"version", 1}, {"capital_percentage", "50"}},
      // 6: a fixed field fails this item only.
      json::object{{"id", ids_[3]}, {"version", 1}, {"assignment_date", day(100)}},
      // 7: capacity of the resource on day 1: 80 % elsewhere + 30 % here.
      json::object{
          {"id", ids_[0]}, {"version", 3}, {"capital_percentage", 15}, {"expense_percentage", 15}},
      // 8: not a UUID.
      json::object{{"id", "not-a-uuid"}, {"version", 1}, {"capital_percentage", 5}},
      // 9: a bad version in one item fails that item.
      json::object{{"id", ids_[3]}, {"version", 0}, {"capital_percentage", 5}},
      // 10: fine, after all the failures.
      json::object{{"id", ids_[3]}, {"version", 1}, {"capital_percentage", 30}},
  };
  const auto r = admin_.post(kBulk, items);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = r.object();
  const auto& succeeded = body.at("succeeded").as_array();
  const auto& failed = body.at("failed").as_array();
  ASSERT_EQ(succeeded.size(), 3u) << r.body;
  EXPECT_EQ(succeeded[0], (json::object{{"id", ids_[0]}, {"version", 2}}));
  EXPECT_EQ(succeeded[1], (json::object{{"id", ids_[0]}, {"version", 3}}));
  EXPECT_EQ(succeeded[2], (json::object{{"id", ids_[3]}, {"version", 2}}));
  ASSERT_EQ(failed.size(), 8u) << r.body;
  struct Expected {
    std::string id, error;
    bool has_state;
  };
  const std::vector<Expected> expected{
      {ids_[1], "conflict", true},        {missing, "not_found", false},
      {ids_[2], "validation", true},      {ids_[3], "validation", true},
      {ids_[3], "validation", true},      {ids_[0], "constraint", true},
      {"not-a-uuid", "not_found", false}, {ids_[3], "validation", true}};
  for (std::size_t i = 0; i < failed.size(); ++i) {
    const auto& f = failed[i].as_object();
    SCOPED_TRACE("failed item " + std::to_string(i) + ": " + json::serialize(f));
    EXPECT_EQ(f.at("id"), json::value(expected[i].id));
    EXPECT_EQ(f.at("error"), json::value(expected[i].error));
    EXPECT_TRUE(f.at("message").is_string());
    EXPECT_FALSE(f.at("message").as_string().empty());
    if (expected[i].has_state) {
      ASSERT_TRUE(f.at("current_state").is_object());
      expect_entity_shape(f.at("current_state").as_object(), "resource-assignments");
      EXPECT_EQ(f.at("current_state").as_object().at("id"), json::value(expected[i].id));
    } else {
      EXPECT_TRUE(f.at("current_state").is_null());
    }
  }
  // The conflict's current_state is the state then (version 1); the capacity failure's
  // is the entity after items 0 and 4 (version 3).
  EXPECT_EQ(failed[0].as_object().at("current_state").as_object().at("version"), 1);
  EXPECT_EQ(failed[5].as_object().at("current_state").as_object().at("version"), 3);

  // What the successes wrote, and only that.
  const auto a0 = current("resource-assignments", ids_[0]);
  EXPECT_EQ(a0.at("version"), 3);
  EXPECT_EQ(a0.at("capital_percentage"), 5);
  EXPECT_EQ(a0.at("expense_percentage"), 15);
  EXPECT_EQ(current("resource-assignments", ids_[1]).at("version"), 1);
  EXPECT_EQ(current("resource-assignments", ids_[2]).at("version"), 1);
  const auto a3 = current("resource-assignments", ids_[3]);
  EXPECT_EQ(a3.at("version"), 2);
  EXPECT_EQ(a3.at("capital_percentage"), 30);
  EXPECT_EQ(a3.at("assignment_date"), json::value(day(4)));
  EXPECT_EQ(history("resource-assignments", ids_[0]).size(), 3u);
}

TEST_P(HttpBulkUpdate, AnEmptyArrayAnswersTwoEmptyLists) {
  const auto r = admin_.post(kBulk, json::array{});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), (json::object{{"succeeded", json::array{}}, {"failed", json::array{}}}));
}

TEST_P(HttpBulkUpdate, AMalformedBodyFailsWholeAndWritesNothing) {
  const auto before = versions();
  const json::object good{{"id", ids_[0]}, {"version", 1}, {"capital_percentage", 1}};
  json::array too_many;
  for (int i = 0; i < 1001; ++i) too_many.push_back(good);
  struct Case {
    std::string name;
    std::string body;
    int status;
    std::string error;
    std::string content_type = "application/json";
  };
  const std::vector<Case> cases{
      {"an object, not an array", json::serialize(good), 400, "bad_request"},
      {"a string", "\"items\"", 400, "bad_request"},
      {"null", "null", 400, "bad_request"},
      {"invalid JSON", "[{\"id\": ", 400, "bad_request"},
      {"more than 1000 items", json::serialize(too_many), 422, "validation"},
      {"an item without id",
       json::serialize(json::array{good, json::object{{"version", 1}, {"capital_percentage", 2}}}),
       422, "validation"},
      {"an item without version",
       json::serialize(json::array{good, json::object{{"id", ids_[1]}, {"capital_percentage", 2}}}),
       422, "validation"},
      {"an item that is not an object", json::serialize(json::array{good, 5}), 422, "validation"},
      {"an id that is not a string",
       json::serialize(json::array{good, json::object{{"id", 5}, {"version", 1}}}), 422,
       "validation"},
      {"not JSON at all", "id,version\n", 415, "unsupported_media_type", "text/csv"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = admin_.send({"POST", kBulk, c.body, {{"Content-Type", c.content_type}}});
    expect_problem(r, c.status, c.error, c.name);
    EXPECT_EQ(versions(), before) << "a refused bulk request wrote something";
  }
  // 1000 items is still one request (each item checked on its own).
  json::array thousand;
  for (int i = 0; i < 1000; ++i)
    thousand.push_back(json::object{{"id", ids_[1]}, {"version", 1}, {"expense_percentage", 10}});
  const auto r = admin_.post(kBulk, thousand);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(r.object().at("succeeded").as_array().size(), 1u);
  EXPECT_EQ(r.object().at("failed").as_array().size(), 999u);
  expect_healthy();
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpBulkUpdate,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
