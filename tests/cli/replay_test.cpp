// `folio replay`: the real binary against a store written by the command handler, on both
// backends. Replaying up to version N ends in exactly the state the API's `at_version`
// query answers; the text form shows who, when and what changed.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <map>
#include <thread>

#include "events/sealed_value.h"
#include "events/timestamp.h"
#include "http/entity_json.h"
#include "tests/commands/domain_support.h"
#include "tests/support/folio_process.h"

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
      state = require_ok(handler_->update(
                             context_for(user_uuid(i), "req-" + std::to_string(i)),
                             UpdateEntity{&spec_of(type), state.id, state.version, plan.sent}),
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
  const auto before =
      run_folio(db_->url(), {"replay", "worker_type", worker_type.id, "--as-of", "2001-01-01"});
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
  EXPECT_NE(no_id.err.find("without an id, give --as-of"), std::string::npos) << no_id.err;
  const auto no_entity_type = run_folio(db_->url(), {"replay"});
  EXPECT_EQ(no_entity_type.exit_code, 2);
  EXPECT_NE(no_entity_type.err.find("missing <entity_type>"), std::string::npos);

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

TEST_P(ReplayCommand, WithoutAnIdTheCollectionAsItStoodAtATime) {
  World world(*handler_, 0x52000005);
  SeededRandom random(11);
  const EntityState first = entity_with_history(world, random, "worker_type", 1);
  const EntityState second = entity_with_history(world, random, "worker_type", 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // times have milliseconds
  const std::string then = events::now_timestamp();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  entity_with_history(world, random, "worker_type", 0);  // later: absent
  const UpdatePlan plan = world.update_plan(random, "worker_type", first);
  require_ok(
      handler_->update(context_for(user_uuid(3)),
                       UpdateEntity{&spec_of("worker_type"), first.id, first.version, plan.sent}),
      "update");

  const auto result = run_folio(db_->url(), {"replay", "worker-types", "--as-of", then, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = lines_of(result.out);
  ASSERT_EQ(lines.size(), 2u) << result.out;
  std::map<std::string, json::value> expected{
      {first.id, http::entity_to_json(spec_of("worker_type"), first)},
      {second.id, http::entity_to_json(spec_of("worker_type"), second)}};
  for (const auto& line : lines) {
    const auto entity = json::parse(line);
    EXPECT_EQ(entity, expected.at(std::string(entity.at("id").as_string())))
        << "the state then, not now";
  }
  const auto text = run_folio(db_->url(), {"replay", "worker_type", "--as-of", then});
  EXPECT_NE(text.out.find("worker-types as of " + then + ": 2"), std::string::npos) << text.out;
  const auto before = run_folio(db_->url(), {"replay", "worker_type", "--as-of", "2001-01-01"});
  EXPECT_EQ(before.exit_code, 0);
  EXPECT_NE(before.out.find(": 0"), std::string::npos) << before.out;
}

// `folio changes`: who changed what across all entities, field by field, in log order.
TEST_P(ReplayCommand, ChangesListsFieldChangesInOrderByUserAndTime) {
  World world(*handler_, 0x52000006);
  SeededRandom random(12);
  const EntityState resource = entity_with_history(world, random, "resource", 2);
  const auto all = run_folio(db_->url(), {"changes", "--entity-type", "resource", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto lines = lines_of(all.out);
  ASSERT_EQ(lines.size(), 3u) << all.out;
  std::int64_t position = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto change = json::parse(lines[i]).as_object();
    EXPECT_GT(change.at("position").as_int64(), position);
    position = change.at("position").as_int64();
    EXPECT_EQ(change.at("entity_id").as_string(), resource.id);
    EXPECT_EQ(change.at("version"), static_cast<std::int64_t>(i + 1));
    // Each change starts from what the one before it left.
    if (i == 0) continue;
    const auto previous = json::parse(lines[i - 1]).as_object();
    for (const auto& [field, c] : change.at("changes").as_object()) {
      const auto* before = previous.at("changes").as_object().if_contains(field);
      if (before) {
        EXPECT_EQ(c.at("from"), before->at("to")) << field;
      }
    }
  }
  const auto by_user = run_folio(db_->url(), {"changes", "--user", user_uuid(2), "--json"});
  ASSERT_EQ(lines_of(by_user.out).size(), 1u) << by_user.out;
  EXPECT_EQ(json::parse(lines_of(by_user.out)[0]).at("version"), 3);

  const auto text = run_folio(db_->url(), {"changes", "--user", user_uuid(2)});
  EXPECT_NE(text.out.find("v3  ResourceUpdated  by " + user_uuid(2)), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("1 change\n"), std::string::npos) << text.out;
  const auto later = run_folio(db_->url(), {"changes", "--since", "2999-01-01"});
  EXPECT_EQ(later.exit_code, 0);
  EXPECT_NE(later.out.find("0 changes"), std::string::npos) << later.out;

  EXPECT_EQ(run_folio(db_->url(), {"changes", "--since", "May"}).exit_code, 2);
  EXPECT_EQ(run_folio(db_->url(), {"changes", "--entity-type", "resources"}).exit_code, 2);
  EXPECT_EQ(run_folio(db_->url(), {"changes", "--user", "me"}).exit_code, 2);
  const auto help = run_folio(db_->url(), {"changes", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--entity-type"), std::string::npos);
}

// `folio lineage` on every field of every entity type: each value listed is the field's
// value in the state at that version, the versions rise, and the last is the value now.
TEST_P(ReplayCommand, LineageListsEveryValueAFieldHeldAndWhoSetIt) {
  World world(*handler_, 0x52000009);
  SeededRandom random(9);
  for (const auto& type : all_entity_types()) {
    const EntitySpec& spec = spec_of(type);
    const EntityState last = entity_with_history(world, random, type, 3);
    for (const auto& field : spec.fields) {
      const std::string name(field.name);
      SCOPED_TRACE(type + "." + name);
      const auto result = run_folio(db_->url(), {"lineage", type, last.id, name, "--json"});
      if (field.kind == events::FieldKind::password) {
        EXPECT_EQ(result.exit_code, 2) << result.out;  // never in an event
        continue;
      }
      ASSERT_EQ(result.exit_code, 0) << result.err;
      std::int64_t previous = 0;
      json::object entry;
      for (const auto& line : lines_of(result.out)) {
        entry = json::parse(line).as_object();
        const std::int64_t v = entry.at("version").as_int64();
        EXPECT_GT(v, previous);
        previous = v;
        const Outcome at = queries_->get(commands::Actor::system_actor(), spec, last.id, v);
        ASSERT_TRUE(at.ok()) << describe(at);
        const auto then = http::entity_to_json(spec, at.entity);
        EXPECT_EQ(entry.at("value"), then.contains(name) ? then.at(name) : json::value(nullptr));
        if (v > 1) {
          EXPECT_EQ(entry.at("user_id"), json::value(user_uuid(static_cast<int>(v - 1))));
          EXPECT_EQ(entry.at("request_id"), json::value("req-" + std::to_string(v - 1)));
        }
      }
      const auto now = http::entity_to_json(spec, last);
      if (now.contains(name) && !entry.empty()) {
        EXPECT_EQ(entry.at("value"), now.at(name));
      }
    }
  }
  const auto unknown = run_folio(db_->url(), {"lineage", "project", "nope", "colour"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("its fields: program_id name"), std::string::npos) << unknown.err;
  EXPECT_EQ(run_folio(db_->url(), {"lineage", "project", user_uuid(99), "name"}).exit_code, 1);
}

// `folio erase`: a worker's personal values read [erased] in the row and in replay and
// lineage; verify stays clean; bad usage and unknown ids are told apart.
TEST_P(ReplayCommand, EraseLeavesMarkersThatReplayAndVerifyAgreeWith) {
  World world(*handler_, 0x5200000a);
  SeededRandom random(10);
  const EntitySpec& spec = spec_of("worker");
  const EntityState worker = entity_with_history(world, random, "worker", 2);
  const std::string old_name = std::get<std::string>(worker.fields.at("name"));

  EXPECT_EQ(run_folio(db_->url(), {"erase", "worker", worker.id}).exit_code, 2);  // no reason
  // FOLIO_PERSONAL_FIELDS may name only non-unique text fields: anything else stops folio.
  ::setenv("FOLIO_PERSONAL_FIELDS", "portfolio.name,project.colour", 1);
  const auto misconfigured = run_folio(db_->url(), {"erase", "worker", worker.id, "--reason", "x"});
  ::unsetenv("FOLIO_PERSONAL_FIELDS");
  EXPECT_EQ(misconfigured.exit_code, 2);
  EXPECT_NE(misconfigured.err.find("portfolio.name is not a non-unique text field"),
            std::string::npos)
      << misconfigured.err;
  EXPECT_EQ(run_folio(db_->url(), {"erase", "project", worker.id, "--reason", "x"}).exit_code, 2);
  EXPECT_EQ(run_folio(db_->url(), {"erase", "worker", user_uuid(98), "--reason", "x"}).exit_code,
            1);
  const auto erased = run_folio(db_->url(), {"erase", "worker", worker.id, "--reason", "left"});
  ASSERT_EQ(erased.exit_code, 0) << erased.err;
  EXPECT_NE(erased.out.find("erased at version " + std::to_string(worker.version + 1)),
            std::string::npos)
      << erased.out;

  const auto row = load(*store_, spec, worker.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->fields.at("name"), events::FieldValue(std::string(events::kErasedMarker)));
  const auto replay = run_folio(db_->url(), {"replay", "worker", worker.id, "--json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(replay.out.find(old_name), std::string::npos) << replay.out;
  EXPECT_NE(replay.out.find("[erased]"), std::string::npos) << replay.out;
  const auto lineage = run_folio(db_->url(), {"lineage", "worker", worker.id, "name"});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  EXPECT_EQ(lineage.out.find(old_name), std::string::npos) << lineage.out;
  const auto verify = run_folio(db_->url(), {"verify", "--projections"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // A rebuild from the events writes the same row: markers, same version.
  const auto rebuilt = run_folio(db_->url(), {"rebuild", "--entity", "worker"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.out << rebuilt.err;
  EXPECT_EQ(load(*store_, spec, worker.id), row);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplayCommand, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
