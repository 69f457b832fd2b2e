// `folio replay`: the real binary against a store written by the command handler, on both
// backends. Replaying up to version N ends in exactly the state the API's `at_version`
// query answers; the text form shows who, when and what changed.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/entity_json.h"
#include "tests/support/folio_process.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

namespace json = boost::json;

class ReplayCommand : public DomainTest {
 protected:
  // An entity of `type` with `updates` updates by user_uuid(1..updates); its final state.
  EntityState entity_with_history(World& world, Random& random, std::string_view type,
                                  int updates) {
    EntityState state = world.create(random, type);
    for (int i = 1; i <= updates; ++i) {
      const UpdatePlan plan = world.update_plan(random, type, state);
      state = require_ok(handler_->update(context_for(user_uuid(i), "req-" + std::to_string(i)),
                                          UpdateEntity{&spec_of(type), state.id, state.version,
                                                       plan.sent}),
                         "update")
                  .entity;
    }
    return state;
  }
};

TEST_P(ReplayCommand, ToVersionEndsInTheStateTheApiAnswersAtThatVersion) {
  World world(*handler_, 0x52000001);
  SeededRandom random(7);
  for (const auto& type : all_entity_types()) {
    const EntitySpec& spec = spec_of(type);
    const EntityState last = entity_with_history(world, random, type, 2);
    for (std::int64_t v = 1; v <= last.version; ++v) {
      SCOPED_TRACE(type + " v" + std::to_string(v));
      const auto result = run_folio(
          db_->url(), {"replay", type, last.id, "--json", "--to-version", std::to_string(v)});
      ASSERT_EQ(result.exit_code, 0) << result.err;
      const auto lines = lines_of(result.out);
      ASSERT_EQ(lines.size(), static_cast<std::size_t>(v));
      const json::object replayed = json::parse(lines.back()).as_object();
      EXPECT_EQ(replayed.at("version").as_int64(), v);
      const Outcome at = queries_->get(commands::Actor::system_actor(), spec, last.id, v);
      ASSERT_TRUE(at.ok()) << describe(at);
      json::object expected = http::entity_to_json(spec, at.entity);
      expected["deleted"] = false;
      EXPECT_EQ(replayed.at("state").as_object(), expected);
    }
  }
}

TEST_P(ReplayCommand, TextShowsEachEventsUserRequestAndChanges) {
  World world(*handler_, 0x52000002);
  SeededRandom random(8);
  const EntityState portfolio = entity_with_history(world, random, "portfolio", 1);
  const auto result = run_folio(db_->url(), {"replay", "portfolios", portfolio.id});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("portfolio " + portfolio.id + ": 2 events"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("v1  "), std::string::npos);
  EXPECT_NE(result.out.find("PortfolioCreated"), std::string::npos);
  EXPECT_NE(result.out.find("v2  "), std::string::npos);
  EXPECT_NE(result.out.find("user " + user_uuid(1) + "  request req-1"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("name: - -> \""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"version\":2"), std::string::npos) << result.out;
}

TEST_P(ReplayCommand, AsOfStopsAtTheLastEventRecordedBeforeThatTime) {
  World world(*handler_, 0x52000003);
  SeededRandom random(9);
  const EntityState worker_type = entity_with_history(world, random, "worker_type", 2);
  const auto all = run_folio(db_->url(), {"replay", "worker_type", worker_type.id, "--json",
                                          "--as-of", "2999-01-01T00:00:00Z"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(lines_of(all.out).size(), 3u);
  const auto before = run_folio(db_->url(), {"replay", "worker_type", worker_type.id, "--as-of",
                                             "2001-01-01"});
  EXPECT_EQ(before.exit_code, 1);
  EXPECT_NE(before.err.find("no events up to that point"), std::string::npos) << before.err;
}

TEST_P(ReplayCommand, ExplainsWhatItCannotReplay) {
  const std::string unknown_id = "01930000-0000-7000-8000-000000000001";
  const auto missing = run_folio(db_->url(), {"replay", "project", unknown_id});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("has no events"), std::string::npos) << missing.err;

  const auto bad_type = run_folio(db_->url(), {"replay", "spaceship", unknown_id});
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_NE(bad_type.err.find("unknown entity type 'spaceship'"), std::string::npos);

  const auto bad_version =
      run_folio(db_->url(), {"replay", "project", unknown_id, "--to-version", "zero"});
  EXPECT_EQ(bad_version.exit_code, 2);
  const auto bad_time = run_folio(db_->url(), {"replay", "project", unknown_id, "--as-of", "May"});
  EXPECT_EQ(bad_time.exit_code, 2);
  EXPECT_NE(bad_time.err.find("--as-of"), std::string::npos);

  const auto no_id = run_folio(db_->url(), {"replay", "project"});
  EXPECT_EQ(no_id.exit_code, 2);
  EXPECT_NE(no_id.err.find("missing <id>"), std::string::npos) << no_id.err;

  const auto unreachable =
      run_folio("postgresql://nobody@127.0.0.1:1/nothing", {"replay", "project", unknown_id});
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.err;

  const auto help = run_folio(db_->url(), {"replay", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: folio [--db URL] replay"), std::string::npos);
  EXPECT_NE(help.out.find("--to-version"), std::string::npos);
}

TEST_P(ReplayCommand, BeyondTheLastVersionIsNotFound) {
  World world(*handler_, 0x52000004);
  SeededRandom random(10);
  const EntityState resource = entity_with_history(world, random, "resource", 0);
  const auto result =
      run_folio(db_->url(), {"replay", "resource", resource.id, "--to-version", "5"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("has only 1 versions"), std::string::npos) << result.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplayCommand, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
