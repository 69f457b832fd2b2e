// Merging disjoint edits (docs/api.md "Merging disjoint edits"): with Prefer:
// merge=disjoint, an update that carries a stale version is applied over the versions in
// between when none of them changed a field it sends, and every rule holds on the result;
// otherwise it gets the usual answer (409 conflict, 422). Never silently: the answer says
// which versions it went over.
#include <gtest/gtest.h>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

using testing::Backend;

const Headers kMerge{{"Prefer", "merge=disjoint"}};

class HttpMerge : public HttpApiTest {
 protected:
  void SetUp() override {
    HttpApiTest::SetUp();
    portfolio_ = create("portfolios", create_body("portfolios", {}, 1));
    url_ = "/api/v1/portfolios/" + std::string(portfolio_.at("id").as_string());
  }
  // Someone else's edit, from the version it saw; must succeed.
  void edit(std::int64_t version, json::object fields) {
    fields["version"] = version;
    const auto r = admin_.patch(url_, fields);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::int64_t version_now() { return current("portfolios", id()).at("version").as_int64(); }
  std::string id() const { return std::string(portfolio_.at("id").as_string()); }

  json::object portfolio_;
  std::string url_;
};

TEST_P(HttpMerge, AnEditOfOtherFieldsIsMergedAndTheAnswerSaysOverWhich) {
  edit(1, {{"name", "Renamed by someone else"}});
  edit(2, {{"description", "Described by someone else"}});
  // The planner saw version 1 and changes the owner only.
  const auto merged = admin_.patch(url_, json::object{{"version", 1}, {"owner", "Dana"}}, kMerge);
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.header("Preference-Applied"), "merge=disjoint");
  EXPECT_EQ(merged.header("Merged-Over"), "2, 3");
  EXPECT_EQ(merged.header("ETag"), "\"4\"");
  const auto body = merged.object();
  EXPECT_EQ(body.at("version"), 4);
  EXPECT_EQ(body.at("owner"), "Dana");
  EXPECT_EQ(body.at("name"), "Renamed by someone else") << "the others' edits stay";
  EXPECT_EQ(body.at("description"), "Described by someone else");
  // The history records the merged edit as what it changed, nothing more.
  const auto items = history("portfolios", id());
  ASSERT_EQ(items.size(), 4u);
  const auto& changes = items[3].at("changes").as_object();
  EXPECT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes.at("owner").at("to"), "Dana");

  // With the current version there is nothing to merge over: a plain update.
  const auto plain = admin_.patch(url_, json::object{{"version", 4}, {"owner", "Eve"}}, kMerge);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_FALSE(plain.has_header("Merged-Over"));
  EXPECT_FALSE(plain.has_header("Preference-Applied"));
}

TEST_P(HttpMerge, AReplayOfAMergedEditSaysWhatItWasMergedOver) {
  edit(1, {{"name", "Renamed by someone else"}});
  Headers keyed = kMerge;
  keyed.emplace_back("Idempotency-Key", "merge-1");
  const json::object change{{"version", 1}, {"owner", "Dana"}};
  const auto first = admin_.patch(url_, change, keyed);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto again = admin_.patch(url_, change, keyed);  // the client lost the first answer
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("Merged-Over"), "2");
  EXPECT_EQ(again.header("Preference-Applied"), "merge=disjoint");
  EXPECT_EQ(version_now(), 3) << "merged once";
}

TEST_P(HttpMerge, AnEditOfAFieldChangedMeanwhileIsStillAConflict) {
  edit(1, {{"name", "Renamed by someone else"}});
  edit(2, {{"description", "Described by someone else"}});
  // The planner changes the name too (and the owner): the name changed since version 1.
  const auto r =
      admin_.patch(url_, json::object{{"version", 1}, {"name", "Mine"}, {"owner", "D"}}, kMerge);
  expect_version_conflict(r, "portfolios", id(), 1, 3, false);
  EXPECT_EQ(version_now(), 3) << "nothing written";
  // Without the preference a stale version is a conflict whatever it changes.
  expect_version_conflict(admin_.patch(url_, json::object{{"version", 1}, {"owner", "D"}}),
                          "portfolios", id(), 1, 3, false);
  // Sending a field with the value it already has counts as sending it.
  const auto same = admin_.patch(
      url_, json::object{{"version", 2}, {"description", portfolio_.at("description")}}, kMerge);
  EXPECT_EQ(same.status, 409) << same.body;
}

TEST_P(HttpMerge, TheMergedResultMustHoldEveryRule) {
  // Each edit is valid on its own; together the reporting period would end before it starts.
  edit(1, {{"reporting_end_date", "2026-03-01"}});
  const auto r = admin_.patch(
      url_, json::object{{"version", 1}, {"reporting_start_date", "2026-06-01"}}, kMerge);
  expect_problem(r, 422, "validation");
  EXPECT_EQ(version_now(), 2) << "nothing written";
}

TEST_P(HttpMerge, AnEntityDeletedMeanwhileIsAConflict) {
  ASSERT_EQ(admin_.del(url_ + "?version=1").status, 204);
  const auto r = admin_.patch(url_, json::object{{"version", 1}, {"owner", "D"}}, kMerge);
  expect_version_conflict(r, "portfolios", id(), 1, 2, true);
}

TEST_P(HttpMerge, ThePreferenceIsReadAsRfc7240HasIt) {
  edit(1, {{"name", "Renamed by someone else"}});
  const auto r = admin_.patch(url_, json::object{{"version", 1}, {"owner", "Dana"}},
                              {{"Prefer", "return=representation, MERGE=Disjoint"}});
  EXPECT_EQ(r.status, 200) << r.body;
  edit(3, {{"name", "Again"}});
  const auto other = admin_.patch(url_, json::object{{"version", 3}, {"owner", "Eve"}},
                                  {{"Prefer", "merge=everything"}});
  EXPECT_EQ(other.status, 409) << "an unknown preference is ignored";
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpMerge, ::testing::Values(Backend::sqlite, Backend::postgres),
                         backend_name_of);

}  // namespace
}  // namespace folio::http_test
