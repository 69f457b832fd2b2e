// Properties 1-5 of the domain issue, over all 13 entity types, on both backends:
//   1. a created entity has version 1 (and exactly the fields asked for);
//   2. each successful update adds exactly 1 and changes exactly the fields sent;
//   3. an update without a version is a validation error and writes nothing;
//   4. a matching version succeeds with version + 1 (updates and deletes);
//   5. a stale version is a conflict carrying the current state, the attempted changes and
//      the changes since (from/to), and writes nothing.
// Every case exercises every entity type once, so no type depends on RapidCheck's luck.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <chrono>
#include <ctime>
#include <regex>

#include "commands/passwords.h"
#include "events/payload_codec.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

// The fields an update event must carry: those of the plan that differ from `before`.
FieldMap expected_changes(const UpdatePlan& plan, const FieldMap& before) {
  FieldMap changes;
  for (const auto& [name, value] : plan.normalized) {
    const auto it = before.find(name);
    const bool was_set = it != before.end();
    if (events::is_null(value) ? was_set : (!was_set || it->second != value)) {
      changes.emplace(name, value);
    }
  }
  return changes;
}

// RFC 3339 UTC with milliseconds ("2026-11-28T08:15:00.123Z"), within a minute of now
// (the suite runs in a time zone of UTC+05:30, so local time would show).
bool is_utc_now(const std::string& t) {
  static const std::regex format(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  if (!std::regex_match(t, format)) return false;
  std::tm tm{};
  tm.tm_year = std::stoi(t.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(t.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(t.substr(8, 2));
  tm.tm_hour = std::stoi(t.substr(11, 2));
  tm.tm_min = std::stoi(t.substr(14, 2));
  tm.tm_sec = std::stoi(t.substr(17, 2));
  const auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto skew = std::chrono::system_clock::now() - then;
  return skew > -std::chrono::seconds(60) && skew < std::chrono::seconds(60);
}

class EntityVersions : public DomainTest {
 protected:
  // Checks that nothing was written since `head`, and that the row of `state` is as it was.
  void require_nothing_written(std::int64_t head, const EntitySpec& spec, const EntityState& state,
                               const std::string& what) {
    RC_ASSERT(store_->read_all(head, 10).empty());
    const auto now = load(*store_, spec, state.id);
    RC_ASSERT(now.has_value());
    if (*now != state) {
      RC_FAIL(what + ": the read model changed: " + describe(*now) + " was " + describe(state));
    }
  }

  std::int64_t head_ = 0;
};

TEST_P(EntityVersions, CreatedEntityHasVersionOne) {
  World world(*handler_, 0x10000001);
  const auto types = all_entity_types();
  ASSERT_TRUE(check_property("created entity has version 1", kPropertyCases, 100, [&] {
    RcRandom r;
    for (const auto& type : types) {
      const EntitySpec& spec = spec_of(type);
      const CreatePlan plan = world.create_plan(r, type);  // may create parents
      head_ = log_head(*store_, head_);
      const std::string request_id = "create-" + plan.command.id;
      const Outcome outcome = handler_->create(context_for(user_uuid(7), request_id), plan.command);
      RC_LOG() << type << " " << describe(plan.command.fields) << " -> " << describe(outcome)
               << "\n";
      RC_ASSERT(outcome.ok());
      RC_ASSERT(outcome.created);
      RC_ASSERT(outcome.entity.version == 1);
      RC_ASSERT(outcome.entity.id == plan.command.id);
      RC_ASSERT(!outcome.entity.deleted);
      RC_ASSERT(outcome.entity.fields == plan.expected);
      RC_ASSERT(is_utc_now(outcome.entity.created_at));
      RC_ASSERT(outcome.entity.created_at == outcome.entity.updated_at);

      // The read model shows it, and one Created event carries every field and the ids.
      RC_ASSERT(load(*store_, spec, plan.command.id) == outcome.entity);
      const Outcome got = queries_->get(commands::Actor::system_actor(), spec, plan.command.id);
      RC_ASSERT(got.ok());
      RC_ASSERT(got.entity == outcome.entity);
      const auto events = store_->read_all(head_, 10);
      RC_ASSERT(events.size() == 1u);
      RC_ASSERT(events[0].stream_id == std::string(type) + "-" + plan.command.id);
      RC_ASSERT(events[0].stream_version == 1);
      RC_ASSERT(events[0].event_type == std::string(spec.event_prefix) + "Created");
      RC_ASSERT(events[0].metadata.user_id == user_uuid(7));
      RC_ASSERT(events[0].metadata.request_id == request_id);
      RC_ASSERT(events[0].recorded_at == outcome.entity.created_at);
      FieldMap stored = plan.expected;
      for (auto derived : events::derived_fields(type)) stored.erase(std::string(derived));
      RC_ASSERT(payload_fields(events[0]) == stored);

      if (type == "user") {
        // The password is nowhere in the event; its hash verifies.
        RC_ASSERT(events[0].payload.find(plan.password) == std::string::npos);
        const auto hash = password_hash_of(*store_, plan.command.id);
        RC_ASSERT(hash.has_value());
        RC_ASSERT(commands::verify_password(plan.password, *hash));
      }

      // A retried create (same id, same fields) answers the entity and writes nothing.
      if (r.chance(30)) {
        head_ = log_head(*store_, head_);
        const Outcome again = handler_->create(context_for(user_uuid(7)), plan.command);
        RC_ASSERT(again.ok());
        RC_ASSERT(!again.created);
        RC_ASSERT(again.entity == outcome.entity);
        RC_ASSERT(store_->read_all(head_, 10).empty());
      }
    }
  }));
}

TEST_P(EntityVersions, UpdateChangesExactlyTheFieldsSent) {
  World world(*handler_, 0x10000002);
  const auto types = all_entity_types();
  ASSERT_TRUE(check_property("update changes exactly the fields sent", kPropertyCases, 100, [&] {
    RcRandom r;
    for (const auto& type : types) {
      const EntitySpec& spec = spec_of(type);
      EntityState state = world.create(r, type);
      const int updates = r.between(1, 2);
      for (int u = 0; u < updates; ++u) {
        const UpdatePlan plan = world.update_plan(r, type, state);
        head_ = log_head(*store_, head_);
        const Outcome outcome =
            handler_->update(context_for(user_uuid(1), "upd"),
                             UpdateEntity{&spec, state.id, state.version, plan.sent});
        RC_LOG() << type << " v" << state.version << " " << describe(plan.sent) << " -> "
                 << describe(outcome) << "\n";
        RC_ASSERT(outcome.ok());
        RC_ASSERT(!outcome.created);
        RC_ASSERT(outcome.entity.version == state.version + 1);
        RC_ASSERT(outcome.entity.id == state.id);
        RC_ASSERT(outcome.entity.created_at == state.created_at);
        RC_ASSERT(outcome.entity.fields == apply_plan(spec, state.fields, plan));
        RC_ASSERT(load(*store_, spec, state.id) == outcome.entity);

        // One Updated event with exactly the changed fields.
        const auto events = store_->read_all(head_, 10);
        RC_ASSERT(events.size() == 1u);
        RC_ASSERT(events[0].event_type == std::string(spec.event_prefix) + "Updated");
        RC_ASSERT(events[0].stream_version == outcome.entity.version);
        RC_ASSERT(events[0].recorded_at == outcome.entity.updated_at);
        RC_ASSERT(payload_fields(events[0]) == expected_changes(plan, state.fields));
        if (!plan.password.empty()) {
          RC_ASSERT(events[0].payload.find(plan.password) == std::string::npos);
          RC_ASSERT(commands::verify_password(plan.password,
                                              password_hash_of(*store_, state.id).value()));
        }
        state = outcome.entity;
      }
    }
  }));
}

TEST_P(EntityVersions, UpdateWithoutVersionIsRefusedAndWritesNothing) {
  World world(*handler_, 0x10000003);
  const auto types = all_entity_types();
  ASSERT_TRUE(check_property("update without a version writes nothing", kPropertyCases, 100, [&] {
    RcRandom r;
    for (const auto& type : types) {
      const EntitySpec& spec = spec_of(type);
      const EntityState state = world.create(r, type);
      const UpdatePlan plan = world.update_plan(r, type, state);
      const std::string hash_before = type == "user" ? *password_hash_of(*store_, state.id) : "";
      head_ = log_head(*store_, head_);
      const Outcome outcome = handler_->update(
          context_for(user_uuid(1)), UpdateEntity{&spec, state.id, std::nullopt, plan.sent});
      RC_LOG() << type << " " << describe(plan.sent) << " -> " << describe(outcome) << "\n";
      RC_ASSERT(outcome.kind == Kind::validation);
      RC_ASSERT(!outcome.errors.empty());
      RC_ASSERT(outcome.errors.front().field == "version");
      require_nothing_written(head_, spec, state, type);
      if (type == "user") RC_ASSERT(*password_hash_of(*store_, state.id) == hash_before);

      // A delete without a version likewise.
      const Outcome removed =
          handler_->remove(context_for(user_uuid(1)), DeleteEntity{&spec, state.id, std::nullopt});
      RC_ASSERT(removed.kind == Kind::validation);
      RC_ASSERT(removed.errors.front().field == "version");
      require_nothing_written(head_, spec, state, type);
    }
  }));
}

TEST_P(EntityVersions, MatchingVersionSucceedsWithVersionPlusOne) {
  World world(*handler_, 0x10000004);
  const auto types = all_entity_types();
  ASSERT_TRUE(check_property("matching version gives version + 1", kPropertyCases, 100, [&] {
    RcRandom r;
    for (const auto& type : types) {
      const EntitySpec& spec = spec_of(type);
      EntityState state = world.create(r, type);
      const int updates = r.between(0, 3);
      for (int u = 0; u < updates; ++u) {
        const UpdatePlan plan = world.update_plan(r, type, state);
        const Outcome outcome = handler_->update(
            context_for(user_uuid(u)), UpdateEntity{&spec, state.id, state.version, plan.sent});
        RC_LOG() << type << " v" << state.version << " -> " << describe(outcome) << "\n";
        RC_ASSERT(outcome.ok());
        RC_ASSERT(outcome.entity.version == state.version + 1);
        state = outcome.entity;
      }
      RC_ASSERT(store_->stream_version(projections::stream_id_of(spec, state.id)) == state.version);
      if (r.chance(50)) {
        const Outcome removed = handler_->remove(context_for(user_uuid(9)),
                                                 DeleteEntity{&spec, state.id, state.version});
        RC_LOG() << "delete " << type << " v" << state.version << " -> " << describe(removed)
                 << "\n";
        RC_ASSERT(removed.ok());
        RC_ASSERT(removed.entity.version == state.version + 1);
        RC_ASSERT(removed.entity.deleted);
        const auto row = load(*store_, spec, state.id);
        RC_ASSERT(row.has_value());
        RC_ASSERT(row->deleted);
        RC_ASSERT(row->version == state.version + 1);
        RC_ASSERT(row->fields == state.fields);  // the last state stays readable in history
        RC_ASSERT(queries_->get(commands::Actor::system_actor(), spec, state.id).kind ==
                  Kind::not_found);
        const auto events = stream_of(*store_, spec, state.id);
        RC_ASSERT(static_cast<std::int64_t>(events.size()) == state.version + 1);
        RC_ASSERT(events.back().event_type == std::string(spec.event_prefix) + "Deleted");
      }
    }
  }));
}

// An update or delete repeated with its command id (Idempotency-Key) after it committed,
// its answer lost: the first answer again (the entity as that write left it), even when the
// entity moved on since; the same repeat with another command id, or by another user, is
// the usual conflict.
TEST_P(EntityVersions, ARepeatWithItsCommandIdGetsTheFirstAnswerNotAConflict) {
  World world(*handler_, 0x10000009);
  SeededRandom r(9);
  for (const auto& type : all_entity_types()) {
    const EntitySpec& spec = spec_of(type);
    const EntityState created = world.create(r, type);
    CommandContext keyed = context_for(user_uuid(1));
    keyed.command_id = "key-" + type;
    const UpdatePlan plan = world.update_plan(r, type, created);
    const UpdateEntity update{&spec, created.id, created.version, plan.sent};
    const Outcome first = handler_->update(keyed, update);
    ASSERT_TRUE(first.ok()) << type << ": " << describe(first);
    // Someone else saves after it.
    const Outcome later = handler_->update(
        context_for(user_uuid(2)), UpdateEntity{&spec, created.id, first.entity.version,
                                                world.update_plan(r, type, first.entity).sent});
    ASSERT_TRUE(later.ok()) << type << ": " << describe(later);

    const Outcome repeat = handler_->update(keyed, update);
    ASSERT_TRUE(repeat.ok()) << type << ": " << describe(repeat);
    EXPECT_EQ(repeat.entity, first.entity) << type;
    EXPECT_EQ(stream_of(*store_, spec, created.id).size(), 3u) << type << ": nothing written";

    CommandContext other_key = keyed;
    other_key.command_id = "another-key";
    EXPECT_EQ(handler_->update(other_key, update).kind, Kind::conflict) << type;
    CommandContext other_user = context_for(user_uuid(3));
    other_user.command_id = keyed.command_id;
    EXPECT_EQ(handler_->update(other_user, update).kind, Kind::conflict) << type;

    if (spec.scope == events::ScopeKind::admin_only || type == "user") continue;
    keyed.command_id = "delete-" + type;
    const DeleteEntity removal{&spec, created.id, later.entity.version};
    const Outcome removed = handler_->remove(keyed, removal);
    if (!removed.ok()) continue;  // a parent with children: deletes have their own tests
    const Outcome removed_again = handler_->remove(keyed, removal);
    ASSERT_TRUE(removed_again.ok()) << type << ": " << describe(removed_again);
    EXPECT_EQ(removed_again.entity, removed.entity) << type;
  }
}

TEST_P(EntityVersions, StaleVersionIsConflictWithCurrentStateAndWritesNothing) {
  World world(*handler_, 0x10000005);
  const auto types = all_entity_types();
  ASSERT_TRUE(check_property("stale version is a conflict", kPropertyCases, 100, [&] {
    RcRandom r;
    for (const auto& type : types) {
      const EntitySpec& spec = spec_of(type);
      EntityState state = world.create(r, type);
      std::vector<EntityState> states{state};  // states[v - 1] = the entity at version v
      const int others = r.between(1, 3);
      for (int u = 0; u < others; ++u) {
        const UpdatePlan plan = world.update_plan(r, type, state);
        state =
            require_ok(handler_->update(context_for(user_uuid(u + 1), "other"),
                                        UpdateEntity{&spec, state.id, state.version, plan.sent}),
                       "another user's update")
                .entity;
        states.push_back(state);
      }
      const bool deleted = r.chance(25);
      if (deleted) {
        state = require_ok(handler_->remove(context_for(user_uuid(5), "other"),
                                            DeleteEntity{&spec, state.id, state.version}),
                           "another user's delete")
                    .entity;
        states.push_back(state);
      }
      const std::int64_t stale = r.between(1, static_cast<int>(state.version) - 1);
      const bool as_delete = r.chance(25);
      UpdatePlan plan = world.update_plan(r, type, states[stale - 1]);
      const EntityState row_before = *load(*store_, spec, state.id);
      head_ = log_head(*store_, head_);
      const Outcome outcome =
          as_delete ? handler_->remove(context_for(user_uuid(0), "stale"),
                                       DeleteEntity{&spec, state.id, stale})
                    : handler_->update(context_for(user_uuid(0), "stale"),
                                       UpdateEntity{&spec, state.id, stale, plan.sent});
      RC_LOG() << type << (as_delete ? " delete" : " update") << " stale v" << stale << " of v"
               << state.version << (deleted ? " (deleted)" : "") << " -> " << describe(outcome)
               << "\n";
      RC_ASSERT(outcome.kind == Kind::conflict);
      const auto& c = outcome.conflict;
      RC_ASSERT(c.entity_type == std::string(type));
      RC_ASSERT(c.entity_id == state.id);
      RC_ASSERT(c.expected_version == stale);
      RC_ASSERT(c.current_version == state.version);
      if (deleted) {
        RC_ASSERT(!c.current_state.has_value());
      } else {
        RC_ASSERT(c.current_state == row_before);
      }
      RC_ASSERT(c.attempted_changes == (as_delete ? FieldMap{} : plan.normalized));
      // The changes since: one entry per later version, with from/to of each field changed.
      RC_ASSERT(static_cast<std::int64_t>(c.changes_since.size()) == state.version - stale);
      for (std::size_t k = 0; k < c.changes_since.size(); ++k) {
        const auto& entry = c.changes_since[k];
        const std::int64_t v = stale + 1 + static_cast<std::int64_t>(k);
        const EntityState& before = states[v - 2];
        const EntityState& after = states[v - 1];
        RC_ASSERT(entry.version == v);
        RC_ASSERT(entry.recorded_at == after.updated_at);
        if (after.deleted) {
          RC_ASSERT(entry.event_type == std::string(spec.event_prefix) + "Deleted");
          RC_ASSERT(entry.changes.empty());
          continue;
        }
        RC_ASSERT(entry.event_type == std::string(spec.event_prefix) + "Updated");
        std::map<std::string, projections::FieldChange> want;
        for (const auto& [name, value] : after.fields) {
          const auto it = before.fields.find(name);
          if (events::derived_fields(type).size() && name == "total_budget") continue;
          if (it == before.fields.end() || it->second != value) {
            want[name] = {it == before.fields.end() ? FieldValue{} : it->second, value};
          }
        }
        for (const auto& [name, value] : before.fields) {
          if (!after.fields.count(name)) want[name] = {value, FieldValue{}};
        }
        // An update that sent a field with its old value records no change for it.
        RC_ASSERT(entry.changes == want);
      }
      if (deleted) {
        RC_ASSERT(c.changes_since.back().event_type == std::string(spec.event_prefix) + "Deleted");
      }
      require_nothing_written(head_, spec, row_before, type);
    }
  }));
}

// The deletion is in changes_since even when the client sends the deleted version itself.
TEST_P(EntityVersions, UpdateOfDeletedEntityAtItsLastVersionNamesTheDeletion) {
  World world(*handler_, 0x10000006);
  SeededRandom r(6);
  const EntitySpec& spec = spec_of("resource");
  const EntityState state = world.create(r, "resource");
  const Outcome removed =
      handler_->remove(context_for(user_uuid(1)), DeleteEntity{&spec, state.id, 1});
  ASSERT_TRUE(removed.ok()) << describe(removed);
  for (std::int64_t version : {1, 2, 3}) {
    const Outcome outcome = handler_->update(
        context_for(user_uuid(2)), UpdateEntity{&spec, state.id, version, {{"name", "x"}}});
    ASSERT_EQ(outcome.kind, Kind::conflict) << describe(outcome);
    EXPECT_EQ(outcome.conflict.current_version, 2);
    EXPECT_FALSE(outcome.conflict.current_state.has_value());
    ASSERT_FALSE(outcome.conflict.changes_since.empty()) << "version " << version;
    EXPECT_EQ(outcome.conflict.changes_since.back().event_type, "ResourceDeleted");
    EXPECT_EQ(outcome.conflict.changes_since.back().version, 2);
  }
  const Outcome again =
      handler_->remove(context_for(user_uuid(2)), DeleteEntity{&spec, state.id, 2});
  ASSERT_EQ(again.kind, Kind::conflict) << describe(again);
  EXPECT_EQ(again.conflict.changes_since.back().event_type, "ResourceDeleted");
}

// The largest version a client may send (2^63 - 1) is a plain conflict.
TEST_P(EntityVersions, LargestVersionIsAPlainConflict) {
  World world(*handler_, 0x10000007);
  SeededRandom r(7);
  const EntitySpec& spec = spec_of("resource");
  const EntityState state = world.create(r, "resource");
  for (const bool deleted : {false, true}) {
    const Outcome outcome =
        handler_->update(context_for(user_uuid(1)), UpdateEntity{&spec, state.id, INT64_MAX, {}});
    ASSERT_EQ(outcome.kind, Kind::conflict) << describe(outcome);
    EXPECT_EQ(outcome.conflict.expected_version, INT64_MAX);
    if (!deleted) {
      EXPECT_TRUE(outcome.conflict.changes_since.empty());
      ASSERT_TRUE(
          handler_->remove(context_for(user_uuid(1)), DeleteEntity{&spec, state.id, 1}).ok());
    } else {
      ASSERT_EQ(outcome.conflict.changes_since.size(), 1u);  // the deletion only
      EXPECT_EQ(outcome.conflict.changes_since[0].event_type, "ResourceDeleted");
    }
  }
  EXPECT_EQ(
      handler_->remove(context_for(user_uuid(1)), DeleteEntity{&spec, state.id, INT64_MAX}).kind,
      Kind::conflict);
  EXPECT_EQ(handler_->update(context_for(user_uuid(1)), UpdateEntity{&spec, state.id, 0, {}}).kind,
            Kind::validation);
  EXPECT_EQ(handler_->remove(context_for(user_uuid(1)), DeleteEntity{&spec, state.id, -1}).kind,
            Kind::validation);
}

// An update or delete of an id that never existed is not_found and writes nothing.
TEST_P(EntityVersions, UnknownIdIsNotFound) {
  for (const auto& type : all_entity_types()) {
    const EntitySpec& spec = spec_of(type);
    const std::string id = "deadbeef-0000-4000-8000-000000000001";
    EXPECT_EQ(handler_->update(context_for(user_uuid(1)), UpdateEntity{&spec, id, 1, {}}).kind,
              Kind::not_found)
        << type;
    EXPECT_EQ(handler_->remove(context_for(user_uuid(1)), DeleteEntity{&spec, id, 1}).kind,
              Kind::not_found)
        << type;
  }
  EXPECT_TRUE(all_events(*store_).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, EntityVersions, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
