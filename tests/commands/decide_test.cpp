// decide.h without a database: the events a command leads to are a pure function of the
// current state and the request.
#include "commands/decide.h"

#include <gtest/gtest.h>

#include "events/payload_codec.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

using commands::changed_fields;
using commands::decide_create;
using commands::decide_delete;
using commands::decide_update;
using commands::state_after;

FieldMap payload(const events::NewEvent& event) {
  return events::decode_payload<events::EntityChanges>(event.payload).fields;
}

TEST(DecideCreate, CarriesEveryStoredFieldButNoPasswordOrNull) {
  const EntitySpec& user = spec_of("user");
  const auto event = decide_create(user, {{"username", std::string("ann")},
                                          {"email", std::string("ann@example.com")},
                                          {"is_active", true},
                                          {"password", std::string("secret password")},
                                          {"unused", FieldValue{}}});
  EXPECT_EQ(event.event_type, "UserCreated");
  EXPECT_EQ(event.schema_version, 1);
  EXPECT_EQ(payload(event), (FieldMap{{"username", std::string("ann")},
                                      {"email", std::string("ann@example.com")},
                                      {"is_active", true}}));
  EXPECT_EQ(event.payload.find("secret password"), std::string::npos);
}

TEST(DecideCreate, NamesTheEventAfterTheEntity) {
  for (const auto& spec : events::all_entities()) {
    EXPECT_EQ(decide_create(spec, {}).event_type, std::string(spec.event_prefix) + "Created");
    EXPECT_EQ(decide_update(spec, {}).event_type, std::string(spec.event_prefix) + "Updated");
    EXPECT_EQ(decide_delete(spec).event_type, std::string(spec.event_prefix) + "Deleted");
  }
  EXPECT_EQ(decide_create(spec_of("project_phase"), {}).event_type, "ProjectPhaseCreated");
  EXPECT_EQ(decide_delete(spec_of("scope_assignment")).event_type, "ScopeAssignmentDeleted");
}

TEST(ChangedFields, KeepsOnlyWhatDiffers) {
  const EntitySpec& program = spec_of("program");
  const FieldMap current{{"name", std::string("A")},
                         {"start_date", std::string("2020-01-01")},
                         {"description", std::string("d")}};
  // The same value is no change; a new one is.
  EXPECT_EQ(changed_fields(program, current, {{"name", std::string("A")}}), FieldMap{});
  EXPECT_EQ(changed_fields(program, current, {{"name", std::string("B")}}),
            (FieldMap{{"name", std::string("B")}}));
  // A field the state lacks is a change when set, not when cleared.
  EXPECT_EQ(changed_fields(program, current, {{"technical_lead", std::string("T")}}),
            (FieldMap{{"technical_lead", std::string("T")}}));
  EXPECT_EQ(changed_fields(program, {{"name", std::string("A")}}, {{"description", FieldValue{}}}),
            FieldMap{});
  // Clearing a set field is a change, carried as null.
  EXPECT_EQ(changed_fields(program, current, {{"description", FieldValue{}}}),
            (FieldMap{{"description", FieldValue{}}}));
  // Values of another type differ.
  EXPECT_EQ(changed_fields(spec_of("user"), {{"is_active", true}}, {{"is_active", std::int64_t{1}}}),
            (FieldMap{{"is_active", std::int64_t{1}}}));
  // Write-only fields are never changes of the entity.
  EXPECT_EQ(changed_fields(spec_of("user"), {}, {{"password", std::string("new password")}}),
            FieldMap{});
}

TEST(DecideUpdate, CarriesExactlyTheChangesAndMayCarryNone) {
  const EntitySpec& resource = spec_of("resource");
  const auto event = decide_update(resource, {{"name", std::string("B")}, {"description", FieldValue{}}});
  EXPECT_EQ(event.event_type, "ResourceUpdated");
  EXPECT_EQ(payload(event), (FieldMap{{"name", std::string("B")}, {"description", FieldValue{}}}));
  EXPECT_EQ(payload(decide_update(resource, {})), FieldMap{});
  EXPECT_EQ(payload(decide_delete(resource)), FieldMap{});
}

TEST(StateAfter, AppliesTheEventAsTheFoldDoes) {
  const EntitySpec& phase = spec_of("project_phase");
  EntityState empty;
  empty.id = "0193aaaa-0000-7000-8000-000000000001";
  const auto created = state_after(phase, empty,
                                   decide_create(phase, {{"project_id", std::string("p")},
                                                         {"name", std::string("N")},
                                                         {"start_date", std::string("2020-01-01")},
                                                         {"end_date", std::string("2020-01-02")},
                                                         {"capital_budget", std::string("1.10")},
                                                         {"expense_budget", std::string("2.25")},
                                                         {"description", std::string("d")}}),
                                   "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(created.id, empty.id);
  EXPECT_EQ(created.version, 1);
  EXPECT_FALSE(created.deleted);
  EXPECT_EQ(created.created_at, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(created.updated_at, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(created.fields.at("total_budget"), FieldValue{std::string("3.35")});  // derived

  const auto updated = state_after(phase, created,
                                   decide_update(phase, {{"expense_budget", std::string("0.00")},
                                                         {"description", FieldValue{}}}),
                                   "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(updated.version, 2);
  EXPECT_EQ(updated.created_at, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(updated.updated_at, "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(updated.fields.at("total_budget"), FieldValue{std::string("1.10")});
  EXPECT_FALSE(updated.fields.count("description"));  // cleared
  EXPECT_EQ(updated.fields.at("name"), FieldValue{std::string("N")});

  const auto unchanged = state_after(phase, updated, decide_update(phase, {}), "2026-01-03T00:00:00.000Z");
  EXPECT_EQ(unchanged.version, 3);
  EXPECT_EQ(unchanged.fields, updated.fields);

  const auto deleted = state_after(phase, unchanged, decide_delete(phase), "2026-01-04T00:00:00.000Z");
  EXPECT_EQ(deleted.version, 4);
  EXPECT_TRUE(deleted.deleted);
  EXPECT_FALSE(deleted.exists());
  EXPECT_EQ(deleted.fields, unchanged.fields);  // the last state stays readable
  EXPECT_EQ(deleted.updated_at, "2026-01-04T00:00:00.000Z");
}

TEST(StateAfter, IsPure) {
  const EntitySpec& resource = spec_of("resource");
  EntityState current{"id", 3, "c", "u", false, {{"name", std::string("A")}}};
  const EntityState copy = current;
  const auto event = decide_update(resource, {{"name", std::string("B")}});
  const auto a = state_after(resource, current, event, "t");
  const auto b = state_after(resource, current, event, "t");
  EXPECT_EQ(a, b);
  EXPECT_EQ(current, copy);
}

}  // namespace
}  // namespace folio::testing
