// Property 6: the bulk update of resource assignments decides and writes each item on its
// own, in order. Succeeded and failed are exactly the items whose version matched (and whose
// fields were valid); successes persist, failures change nothing. Both backends.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

using commands::BulkAssignmentItem;
using commands::BulkResult;

struct Expected {
  std::string id;
  Kind kind = Kind::ok;
  std::int64_t version = 0;                  // ok: the new version
  std::optional<EntityState> current_state;  // failed: the entity at that moment
};

class BulkUpdate : public DomainTest {};

TEST_P(BulkUpdate, EachItemSucceedsExactlyWhenItsVersionMatches) {
  World world(*handler_, 0x20000001);
  const EntitySpec& spec = spec_of("resource_assignment");
  std::int64_t head = 0;
  int successes = 0, conflicts = 0, others = 0, repeats = 0;
  ASSERT_TRUE(check_property("bulk update item by item", kPropertyCases, 100, [&] {
    RcRandom r;
    // The assignments, some already updated once.
    std::vector<std::string> ids;
    std::map<std::string, EntityState> model;
    const int n = r.between(1, 4);
    for (int i = 0; i < n; ++i) {
      EntityState state = world.create(r, "resource_assignment");
      if (r.chance(30)) {
        const UpdatePlan plan = world.update_plan(r, "resource_assignment", state);
        state = require_ok(
                    handler_->update(world.context(), UpdateEntity{&spec, state.id, 1, plan.sent}),
                    "first update")
                    .entity;
      }
      ids.push_back(state.id);
      model[state.id] = state;
    }

    // The request, and what each item must come to, simulated in order.
    std::vector<BulkAssignmentItem> items;
    std::vector<Expected> expected;
    std::map<std::string, int> seen;
    const int m = r.between(0, 8);
    for (int j = 0; j < m; ++j) {
      BulkAssignmentItem item;
      const int target = r.between(0, 19);
      const bool malformed = target == 0;
      const bool unknown = target == 1;
      if (malformed) {
        item.id = "not-a-uuid";
      } else if (unknown) {
        item.id = world.next_id();
      } else {
        item.id = ids[static_cast<std::size_t>(r.between(0, n - 1))];
      }
      const EntityState* now = model.count(item.id) ? &model[item.id] : nullptr;
      const std::int64_t current = now ? now->version : 1;
      const int version_choice = r.between(0, 19);
      bool version_matches = false;
      if (version_choice < 10) {
        item.version = current;
        version_matches = true;
      } else if (version_choice < 14) {
        item.version = current > 1 ? r.between(1, static_cast<int>(current) - 1) : current + 1;
      } else if (version_choice < 17) {
        item.version = current + r.between(1, 3);
      }  // else: no version
      const std::int64_t capital =
          now ? std::get<std::int64_t>(now->fields.at("capital_percentage")) : 0;
      const std::int64_t expense =
          now ? std::get<std::int64_t>(now->fields.at("expense_percentage")) : 0;
      FieldMap changes;
      bool invalid_value = false, fixed_change = false;
      const int fields_choice = r.between(0, 19);
      if (fields_choice < 5) {
        const int c = r.between(0, 100);
        changes = {{"capital_percentage", std::int64_t{c}},
                   {"expense_percentage", std::int64_t{r.between(0, 100 - c)}}};
      } else if (fields_choice < 9) {
        changes = {
            {"capital_percentage", std::int64_t{r.between(0, static_cast<int>(100 - expense))}}};
      } else if (fields_choice < 13) {
        changes = {
            {"expense_percentage", std::int64_t{r.between(0, static_cast<int>(100 - capital))}}};
      } else if (fields_choice < 14) {
        // nothing: still a recorded edit
      } else if (fields_choice < 17) {
        invalid_value = true;
        switch (r.between(0, 3)) {
          case 0:
            changes = {{"capital_percentage", std::int64_t{101}}};
            break;
          case 1:
            changes = {{"expense_percentage", std::string("50")}};
            break;
          case 2:
            changes = {{"capital_percentage", FieldValue{}}};
            break;
          default:
            changes = {{"name", std::string("not a field")}};
            break;
        }
      } else {
        fixed_change = true;
        changes = {{"assignment_date", std::string("2020-01-01")}};
        if (now && now->fields.at("assignment_date") == changes.begin()->second) {
          changes = {{"resource_id", world.next_id()}};
        }
      }
      item.fields = changes;

      Expected want{item.id};
      const bool exists = now != nullptr;
      // API.md's order of checks: existence, the request (422), then the version (409).
      if (malformed || !exists) {
        want.kind = Kind::not_found;
      } else if (invalid_value || !item.version || fixed_change) {
        want.kind = Kind::validation;
        want.current_state = *now;
      } else if (!version_matches) {
        want.kind = Kind::conflict;
        want.current_state = *now;
      } else {
        want.kind = Kind::ok;
        want.version = current + 1;
        EntityState after = *now;
        for (const auto& [name, value] : changes) after.fields[name] = value;
        after.version = current + 1;
        after.updated_at.clear();  // set by the server: compared without timestamps
        model[item.id] = after;
      }
      if (++seen[item.id] == 2) ++repeats;
      items.push_back(std::move(item));
      expected.push_back(std::move(want));
    }

    head = log_head(*store_, head);
    const BulkResult result = handler_->bulk_update_assignments(world.context(), items);

    // Succeeded and failed, exactly and in order.
    std::size_t s = 0, f = 0;
    for (const auto& want : expected) {
      RC_LOG() << "item " << want.id << " want " << commands::error_code(want.kind) << "\n";
      if (want.kind == Kind::ok) {
        RC_ASSERT(s < result.succeeded.size());
        RC_ASSERT(result.succeeded[s].id == want.id);
        RC_ASSERT(result.succeeded[s].version == want.version);
        ++s;
        ++successes;
        continue;
      }
      RC_ASSERT(f < result.failed.size());
      const auto& failed = result.failed[f++];
      RC_LOG() << "  got " << describe(failed.outcome) << "\n";
      RC_ASSERT(failed.id == want.id);
      RC_ASSERT(failed.outcome.kind == want.kind);
      RC_ASSERT(failed.current_state.has_value() == want.current_state.has_value());
      if (want.current_state) {
        RC_ASSERT(without_timestamps(*failed.current_state) ==
                  without_timestamps(*want.current_state));
      }
      if (want.kind == Kind::conflict) {
        ++conflicts;
      } else {
        ++others;
      }
    }
    RC_ASSERT(s == result.succeeded.size());
    RC_ASSERT(f == result.failed.size());

    // Successes persist; failures change nothing. One event per success, in order.
    for (const auto& [id, state] : model) {
      const auto row = load(*store_, spec, id);
      RC_ASSERT(row.has_value());
      RC_ASSERT(without_timestamps(*row) == without_timestamps(state));
      if (!state.updated_at.empty()) RC_ASSERT(*row == state);  // untouched
    }
    const auto events = store_->read_all(head, 100);
    RC_ASSERT(events.size() == result.succeeded.size());
    for (std::size_t k = 0; k < events.size(); ++k) {
      RC_ASSERT(events[k].stream_id == "resource_assignment-" + result.succeeded[k].id);
      RC_ASSERT(events[k].stream_version == result.succeeded[k].version);
      RC_ASSERT(events[k].event_type == "ResourceAssignmentUpdated");
    }
  }));
  // The generator reaches every branch, and not by luck. Typical counts over the 100 cases
  // are 110-150 successes, 100-130 conflicts, 140-190 others and 85-115 repeats; the bounds
  // sit well below (a CI run once drew exactly 100 successes, failing a bound of "> 100").
  EXPECT_GT(successes, 40);
  EXPECT_GT(conflicts, 30);
  EXPECT_GT(others, 40);
  EXPECT_GT(repeats, 25);
}

// Capacity is checked per item against what earlier items wrote.
TEST_P(BulkUpdate, ItemsSeeTheCapacityEarlierItemsUsed) {
  World world(*handler_, 0x20000002);
  SeededRandom r(2);
  const auto resource = world.create(r, "resource");
  std::vector<EntityState> assignments;
  for (int i = 0; i < 2; ++i) {
    const auto project = world.create(r, "project");
    CreateEntity create{&spec_of("resource_assignment"),
                        world.next_id(),
                        std::nullopt,
                        {{"resource_id", resource.id},
                         {"project_id", project.id},
                         {"assignment_date", project.fields.at("start_date")},
                         {"capital_percentage", std::int64_t{10}},
                         {"expense_percentage", std::int64_t{10}}}};
    // Both on the same resource-day: the projects must share that day.
    if (i == 1) {
      create.fields["assignment_date"] = assignments[0].fields.at("assignment_date");
      UpdateEntity widen{
          &spec_of("project"),
          project.id,
          1,
          {{"start_date", std::string("2000-01-01")}, {"end_date", std::string("2099-12-31")}}};
      require_ok(handler_->update(world.context(), widen), "widen the project");
    }
    assignments.push_back(require_ok(handler_->create(world.context(), create), "assign").entity);
  }
  const auto result = handler_->bulk_update_assignments(
      world.context(), {{assignments[0].id, 1, {{"capital_percentage", std::int64_t{70}}}},
                        {assignments[1].id, 1, {{"capital_percentage", std::int64_t{30}}}},
                        {assignments[1].id, 1, {{"capital_percentage", std::int64_t{20}}}},
                        {assignments[0].id, 2, {{"expense_percentage", std::int64_t{0}}}},
                        {assignments[1].id, 1, {{"capital_percentage", std::int64_t{20}}}}});
  // a0 = 10+10, a1 = 10+10 on one resource-day.
  ASSERT_EQ(result.succeeded.size(), 3u);
  EXPECT_EQ(result.succeeded[0].id, assignments[0].id);  // a0 80 + a1 20 = 100
  EXPECT_EQ(result.succeeded[1].id, assignments[0].id);  // a0 70 + a1 20 = 90
  EXPECT_EQ(result.succeeded[1].version, 3);
  EXPECT_EQ(result.succeeded[2].id, assignments[1].id);  // a0 70 + a1 30 = 100
  EXPECT_EQ(result.succeeded[2].version, 2);
  ASSERT_EQ(result.failed.size(), 2u);
  EXPECT_EQ(result.failed[0].outcome.kind, Kind::constraint);  // a0 80 + a1 40 > 100
  EXPECT_EQ(result.failed[0].outcome.constraint.rule, "resource_capacity");
  EXPECT_EQ(result.failed[0].outcome.constraint.other_entity_id, assignments[0].id);
  ASSERT_TRUE(result.failed[0].current_state.has_value());
  EXPECT_EQ(result.failed[0].current_state->version, 1);
  EXPECT_EQ(result.failed[1].outcome.kind, Kind::constraint);  // a0 80 + a1 30 > 100
}

TEST_P(BulkUpdate, EmptyRequestAnswersTwoEmptyLists) {
  World world(*handler_, 0x20000003);
  const auto result = handler_->bulk_update_assignments(world.context(), {});
  EXPECT_TRUE(result.succeeded.empty());
  EXPECT_TRUE(result.failed.empty());
  EXPECT_TRUE(all_events(*store_).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, BulkUpdate, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
