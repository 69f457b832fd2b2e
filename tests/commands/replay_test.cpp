// Property 9, replay: for random histories of every entity type (creates, updates, stale
// updates that write nothing, deletes), folding the entity's events (projections::fold over
// the store's read_stream) gives exactly its read-model row (projections::load_entity), at
// every version the state the command answered, and what a query at that version answers.
// Both backends.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "projections/fold.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

class Replay : public DomainTest {};

TEST_P(Replay, FoldingTheEventsGivesTheReadModelRow) {
  World world(*handler_, 0x70000001);
  const auto types = all_entity_types();
  ASSERT_TRUE(check_property("fold of the stream = read-model row", kPropertyCases, 100, [&] {
    RcRandom r;
    for (const auto& type : types) {
      const EntitySpec& spec = spec_of(type);
      std::vector<EntityState> answered{world.create(r, type)};  // [v - 1] = state at v
      const int steps = r.between(0, 5);
      for (int step = 0; step < steps && !answered.back().deleted; ++step) {
        const EntityState& now = answered.back();
        const int what = r.between(0, 9);
        if (what < 7) {
          const UpdatePlan plan = world.update_plan(r, type, now);
          answered.push_back(require_ok(handler_->update(context_for(user_uuid(what)),
                                                         UpdateEntity{&spec, now.id, now.version, plan.sent}),
                                        "update")
                                 .entity);
        } else if (what < 9 && now.version > 1) {
          const UpdatePlan plan = world.update_plan(r, type, now);
          const Outcome stale = handler_->update(context_for(user_uuid(8)),
                                                 UpdateEntity{&spec, now.id, now.version - 1, plan.sent});
          RC_ASSERT(stale.kind == Kind::conflict);
        } else if (what == 9) {
          answered.push_back(require_ok(handler_->remove(context_for(user_uuid(9)),
                                                         DeleteEntity{&spec, now.id, now.version}),
                                        "delete")
                                 .entity);
        }
      }
      const std::string& id = answered.front().id;
      const auto events = stream_of(*store_, spec, id);
      RC_ASSERT(events.size() == answered.size());
      const auto row = load(*store_, spec, id);
      RC_ASSERT(row.has_value());
      const EntityState folded = projections::fold(spec, id, events);
      RC_LOG() << type << ": folded " << describe(folded) << "\n  row " << describe(*row) << "\n";
      RC_ASSERT(folded == *row);  // timestamps, version, deleted marker and every field
      RC_ASSERT(folded == answered.back());

      // Every earlier version: the fold of the prefix, the answer then, the query at it.
      for (std::size_t v = 1; v <= events.size(); ++v) {
        const std::vector<events::RecordedEvent> prefix(events.begin(), events.begin() + v);
        const EntityState at = projections::fold(spec, id, prefix);
        RC_ASSERT(at == answered[v - 1]);
        const Outcome query = queries_->get(commands::Actor::system_actor(), spec, id,
                                            static_cast<std::int64_t>(v));
        if (at.deleted) {
          RC_ASSERT(query.kind == Kind::not_found);
        } else {
          RC_ASSERT(query.ok());
          RC_ASSERT(query.entity == at);
        }
      }
      RC_ASSERT(queries_->get(commands::Actor::system_actor(), spec, id,
                              static_cast<std::int64_t>(events.size()) + 1)
                    .kind == Kind::not_found);
    }
  }));
}

INSTANTIATE_TEST_SUITE_P(Backends, Replay, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
