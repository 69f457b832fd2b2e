// access.h: roles grant actions, scopes limit where (DOMAIN.md "Access").
//   - can_read / can_write without a database, per role and scope;
//   - load_actor and scope_of, and the handler and queries enforcing them, on both backends.
#include "commands/access.h"

#include <gtest/gtest.h>

#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

using commands::Actor;
using commands::can_read;
using commands::can_write;
using commands::EntityScope;
using commands::Grant;

const std::string P1 = "00000000-0000-4000-8000-0000000000p1";
const std::string P2 = "00000000-0000-4000-8000-0000000000p2";
const std::string J1 = "00000000-0000-4000-8000-0000000000j1";  // in P1
const std::string J2 = "00000000-0000-4000-8000-0000000000j2";  // in P1
const std::string J3 = "00000000-0000-4000-8000-0000000000j3";  // in P2

const EntityScope kOrganisation{.organisation = true};
const EntityScope kAdminOnly{.admin_only = true};
const EntityScope kProgram1{.program_id = P1};
const EntityScope kProgram2{.program_id = P2};
const EntityScope kProject1{.program_id = P1, .project_id = J1};
const EntityScope kProject2{.program_id = P1, .project_id = J2};
const EntityScope kProject3{.program_id = P2, .project_id = J3};

Actor actor(std::vector<Grant> grants) { return Actor{"user", false, std::move(grants)}; }
Grant global(const std::string& role) { return {role, "global", "", ""}; }
Grant program(const std::string& role, const std::string& id) { return {role, "program", id, ""}; }
Grant project(const std::string& role, const std::string& id) { return {role, "project", "", id}; }

const std::vector<std::string> kRoles = {"admin",           "program_manager",  "project_manager",
                                         "finance_manager", "resource_manager", "viewer"};

// The scope an entity of `type` has when it sits in project J1 (or is program P1, or is
// organisation-wide / admin-only).
EntityScope scope_for(const std::string& type) {
  const auto kind = spec_of(type).scope;
  switch (kind) {
    case events::ScopeKind::organisation:
      return kOrganisation;
    case events::ScopeKind::admin_only:
      return kAdminOnly;
    case events::ScopeKind::program:
      return kProgram1;
    default:
      return kProject1;
  }
}

bool writes(const Actor& a, const std::string& type, const EntityScope& scope,
            std::vector<std::string> changed = {}, bool create_or_delete = true) {
  return can_write(a, spec_of(type), scope, changed, create_or_delete);
}

TEST(CanRead, OrganisationEntitiesAreReadableByEveryone) {
  EXPECT_TRUE(can_read(actor({}), kOrganisation));
  for (const auto& role : kRoles) {
    EXPECT_TRUE(can_read(actor({project(role, J3)}), kOrganisation)) << role;
  }
}

TEST(CanRead, AdminOnlyEntitiesNeedTheAdminRole) {
  EXPECT_TRUE(can_read(actor({{"admin", "", "", ""}}), kAdminOnly));
  EXPECT_TRUE(can_read(Actor::system_actor(), kAdminOnly));
  for (const auto& role : kRoles) {
    if (role == "admin") continue;
    EXPECT_FALSE(can_read(actor({global(role)}), kAdminOnly)) << role;
  }
  EXPECT_FALSE(can_read(actor({}), kAdminOnly));
}

TEST(CanRead, ScopesLimitWhere) {
  for (const auto& role : kRoles) {
    SCOPED_TRACE(role);
    // global: everything
    for (const auto& s : {kProgram1, kProgram2, kProject1, kProject3}) {
      EXPECT_TRUE(can_read(actor({global(role)}), s));
    }
    // program: that program and its projects (and their children)
    const Actor in_p1 = actor({program(role, P1)});
    EXPECT_TRUE(can_read(in_p1, kProgram1));
    EXPECT_TRUE(can_read(in_p1, kProject1));
    EXPECT_TRUE(can_read(in_p1, kProject2));
    EXPECT_EQ(can_read(in_p1, kProgram2), role == "admin");
    EXPECT_EQ(can_read(in_p1, kProject3), role == "admin");
    // project: that project and its children, not its program or siblings
    const Actor in_j1 = actor({project(role, J1)});
    EXPECT_TRUE(can_read(in_j1, kProject1));
    EXPECT_EQ(can_read(in_j1, kProject2), role == "admin");
    EXPECT_EQ(can_read(in_j1, kProgram1), role == "admin");
  }
  EXPECT_FALSE(can_read(actor({}), kProject1));
  EXPECT_TRUE(can_read(Actor::system_actor(), kProject3));
  // Malformed grants cover nothing.
  EXPECT_FALSE(can_read(actor({program("viewer", "")}), EntityScope{}));
  EXPECT_FALSE(can_read(actor({project("viewer", "")}), EntityScope{}));
  EXPECT_FALSE(can_read(actor({{"viewer", "galaxy", P1, J1}}), kProject1));
}

TEST(CanWrite, EachRoleWritesItsEntityTypesUnderAGlobalScope) {
  const std::map<std::string, std::set<std::string>> writable = {
      {"admin",
       {"portfolio", "program", "project", "project_phase", "resource", "worker_type", "worker",
        "resource_assignment", "rate", "actual", "user", "user_role", "scope_assignment"}},
      {"program_manager", {"program", "project", "project_phase", "resource_assignment"}},
      {"project_manager", {"project", "project_phase", "resource_assignment", "actual"}},
      {"finance_manager", {"rate", "actual"}},  // and phase budgets, below
      {"resource_manager", {"resource", "worker_type", "worker", "resource_assignment"}},
      {"viewer", {}},
  };
  for (const auto& [role, types] : writable) {
    for (const auto& type : all_entity_types()) {
      EXPECT_EQ(writes(actor({global(role)}), type, scope_for(type)), types.count(type) > 0)
          << role << " creating a " << type;
    }
  }
  for (const auto& type : all_entity_types()) {
    EXPECT_TRUE(writes(Actor::system_actor(), type, scope_for(type))) << type;
    EXPECT_FALSE(writes(actor({}), type, scope_for(type))) << type;
  }
}

TEST(CanWrite, FinanceManagersChangePhaseBudgetsOnly) {
  const Actor finance = actor({global("finance_manager")});
  const auto phase = [&](std::vector<std::string> changed, bool create_or_delete) {
    return writes(finance, "project_phase", kProject1, std::move(changed), create_or_delete);
  };
  EXPECT_TRUE(phase({"capital_budget"}, false));
  EXPECT_TRUE(phase({"expense_budget"}, false));
  EXPECT_TRUE(phase({"capital_budget", "expense_budget"}, false));
  EXPECT_TRUE(phase({}, false));  // an edit that changes nothing
  EXPECT_FALSE(phase({"name"}, false));
  EXPECT_FALSE(phase({"capital_budget", "end_date"}, false));
  EXPECT_FALSE(phase({}, true));  // create or delete a phase
  // In scope only.
  EXPECT_TRUE(writes(actor({project("finance_manager", J1)}), "project_phase", kProject1,
                     {"capital_budget"}, false));
  EXPECT_FALSE(writes(actor({project("finance_manager", J1)}), "project_phase", kProject2,
                      {"capital_budget"}, false));
  EXPECT_TRUE(writes(actor({project("finance_manager", J1)}), "actual", kProject1));
  // Another role's grant adds its own rights.
  EXPECT_TRUE(writes(actor({global("finance_manager"), project("project_manager", J1)}),
                     "project_phase", kProject1, {"name"}, false));
}

TEST(CanWrite, ScopesLimitWhere) {
  const Actor pm_p1 = actor({program("program_manager", P1)});
  EXPECT_TRUE(writes(pm_p1, "program", kProgram1));
  EXPECT_FALSE(writes(pm_p1, "program", kProgram2));
  EXPECT_TRUE(writes(pm_p1, "project", kProject1));
  EXPECT_FALSE(writes(pm_p1, "project", kProject3));
  EXPECT_TRUE(writes(pm_p1, "resource_assignment", kProject2));
  const Actor pj_j1 = actor({project("project_manager", J1)});
  EXPECT_TRUE(writes(pj_j1, "project", kProject1));
  EXPECT_FALSE(writes(pj_j1, "project", kProject2));
  EXPECT_TRUE(writes(pj_j1, "actual", kProject1));
  EXPECT_FALSE(writes(pj_j1, "actual", kProject3));
  // Organisation-wide entities need a global scope, whatever the role.
  EXPECT_FALSE(writes(actor({program("resource_manager", P1)}), "resource", kOrganisation));
  EXPECT_FALSE(writes(actor({project("finance_manager", J1)}), "rate", kOrganisation));
  EXPECT_TRUE(writes(actor({global("resource_manager")}), "worker", kOrganisation));
  // Users, roles and scopes: admins only, whatever the scope.
  EXPECT_FALSE(writes(actor({global("program_manager")}), "user", kAdminOnly));
  EXPECT_TRUE(writes(actor({{"admin", "", "", ""}}), "scope_assignment", kAdminOnly));
  EXPECT_TRUE(writes(actor({{"admin", "project", "", J3}}), "portfolio", kOrganisation));
}

// ---- with a database ---------------------------------------------------------------------

class Access : public DomainTest {
 protected:
  void SetUp() override {
    DomainTest::SetUp();
    world_ = std::make_unique<World>(*handler_, 0x90000001);
  }
  void TearDown() override {
    world_.reset();
    DomainTest::TearDown();
  }
  EntityState create(const std::string& type, FieldMap fields) {
    const Outcome o = handler_->create(
        world_->context(), CreateEntity{&spec_of(type), world_->next_id(), std::nullopt, fields});
    EXPECT_TRUE(o.ok()) << describe(o);
    return o.entity;
  }
  EntityState user() {
    const std::string n = std::to_string(++users_);
    return create("user", {{"username", "user " + n},
                           {"email", "user" + n + "@example.com"},
                           {"password", std::string("password " + n)}});
  }
  EntityState user_with(const std::string& role, const std::string& scope_type = "",
                        const std::string& scope_id = "", bool active = true) {
    const auto u = user();
    const auto ro =
        create("user_role", {{"user_id", u.id}, {"role_type", role}, {"is_active", active}});
    if (!scope_type.empty()) {
      FieldMap f{{"user_role_id", ro.id}, {"scope_type", scope_type}};
      if (scope_type == "program") f["program_id"] = scope_id;
      if (scope_type == "project") f["project_id"] = scope_id;
      create("scope_assignment", f);
    }
    return u;
  }
  std::optional<Actor> actor_of(const std::string& user_id) {
    std::optional<Actor> a;
    store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
      a = commands::load_actor(tx, user_id);
      return store::Verdict::commit;
    });
    return a;
  }
  CommandContext as(const Actor& a) { return CommandContext{a, "req-access", ""}; }

  SeededRandom r_{12};
  std::unique_ptr<World> world_;
  int users_ = 0;
};

TEST_P(Access, LoadActorGrantsActiveRolesWithActiveScopes) {
  const auto program1 = world_->create(r_, "program");
  const auto admin = user_with("admin");
  auto loaded = actor_of(admin.id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(loaded->is_admin());
  EXPECT_EQ(loaded->user_id, admin.id);

  const auto manager = user_with("program_manager", "program", program1.id);
  loaded = actor_of(manager.id);
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->grants.size(), 1u);
  EXPECT_EQ(loaded->grants[0].role, "program_manager");
  EXPECT_EQ(loaded->grants[0].scope_type, "program");
  EXPECT_EQ(loaded->grants[0].program_id, program1.id);
  EXPECT_FALSE(loaded->is_admin());

  // A non-admin role without an active scope grants nothing.
  const auto unscoped = user_with("viewer");
  ASSERT_TRUE(actor_of(unscoped.id).has_value());
  EXPECT_TRUE(actor_of(unscoped.id)->grants.empty());
  // An inactive role grants nothing.
  const auto inactive_role = user_with("viewer", "global", "", /*active=*/false);
  EXPECT_TRUE(actor_of(inactive_role.id)->grants.empty());
  // An inactive scope grants nothing.
  const auto scoped = user_with("viewer", "global");
  EXPECT_EQ(actor_of(scoped.id)->grants.size(), 1u);
  for (const auto& [key, row] : dump_read_models(*store_)) {
    if (key.rfind("scope_assignment/", 0) == 0 && row.version == 1) {
      const auto role =
          load(*store_, spec_of("user_role"), std::get<std::string>(row.fields.at("user_role_id")));
      if (role->fields.at("user_id") == FieldValue{scoped.id}) {
        ASSERT_TRUE(
            handler_
                ->update(
                    world_->context(),
                    UpdateEntity{&spec_of("scope_assignment"), row.id, 1, {{"is_active", false}}})
                .ok());
      }
    }
  }
  EXPECT_TRUE(actor_of(scoped.id)->grants.empty());
  // Inactive, deleted or unknown users are no actors at all.
  ASSERT_TRUE(handler_
                  ->update(world_->context(),
                           UpdateEntity{&spec_of("user"), admin.id, 1, {{"is_active", false}}})
                  .ok());
  EXPECT_FALSE(actor_of(admin.id).has_value());
  const auto gone = user();
  ASSERT_TRUE(handler_->remove(world_->context(), DeleteEntity{&spec_of("user"), gone.id, 1}).ok());
  EXPECT_FALSE(actor_of(gone.id).has_value());
  EXPECT_FALSE(actor_of("00000000-0000-4000-8000-00000000dead").has_value());
}

TEST_P(Access, HandlerAndQueriesEnforceRolesAndScopes) {
  const auto p1 = world_->create(r_, "program");
  const auto p2 = world_->create(r_, "program");
  const auto project_fields = [&](const std::string& program_id) {
    return FieldMap{{"program_id", program_id},
                    {"name", std::string("J")},
                    {"business_sponsor", std::string("s")},
                    {"project_manager", std::string("m")},
                    {"technical_lead", std::string("t")},
                    {"start_date", std::string("2020-01-01")},
                    {"end_date", std::string("2020-12-31")},
                    {"cost_center_code", world_->next_id()}};
  };
  const Actor manager = *actor_of(user_with("program_manager", "program", p1.id).id);
  const Actor viewer = *actor_of(user_with("viewer", "global").id);
  const Actor finance = *actor_of(user_with("finance_manager", "global").id);
  const EntitySpec& project_spec = spec_of("project");

  // In scope: allowed. Out of scope: forbidden, nothing written.
  const Outcome mine = handler_->create(
      as(manager),
      CreateEntity{&project_spec, world_->next_id(), std::nullopt, project_fields(p1.id)});
  ASSERT_TRUE(mine.ok()) << describe(mine);
  const std::int64_t head = log_head(*store_);
  EXPECT_EQ(handler_
                ->create(as(manager), CreateEntity{&project_spec, world_->next_id(), std::nullopt,
                                                   project_fields(p2.id)})
                .kind,
            Kind::forbidden);
  // Moving it out of scope: forbidden.
  EXPECT_EQ(handler_
                ->update(as(manager),
                         UpdateEntity{&project_spec, mine.entity.id, 1, {{"program_id", p2.id}}})
                .kind,
            Kind::forbidden);
  // A viewer writes nothing.
  EXPECT_EQ(handler_->update(as(viewer), UpdateEntity{&project_spec, mine.entity.id, 1, {}}).kind,
            Kind::forbidden);
  EXPECT_EQ(handler_->remove(as(viewer), DeleteEntity{&project_spec, mine.entity.id, 1}).kind,
            Kind::forbidden);
  EXPECT_EQ(handler_
                ->create(as(viewer), CreateEntity{&spec_of("resource"),
                                                  world_->next_id(),
                                                  std::nullopt,
                                                  {{"name", std::string("R")},
                                                   {"resource_type", std::string("labor")}}})
                .kind,
            Kind::forbidden);
  EXPECT_TRUE(store_->read_all(head, 10).empty());

  // Entities outside the scope are not found (their existence is not revealed).
  const Outcome theirs = handler_->create(
      world_->context(),
      CreateEntity{&project_spec, world_->next_id(), std::nullopt, project_fields(p2.id)});
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(
      handler_->update(as(manager), UpdateEntity{&project_spec, theirs.entity.id, 1, {}}).kind,
      Kind::not_found);
  EXPECT_EQ(handler_->remove(as(manager), DeleteEntity{&project_spec, theirs.entity.id, 1}).kind,
            Kind::not_found);
  EXPECT_EQ(queries_->get(manager, project_spec, theirs.entity.id).kind, Kind::not_found);
  EXPECT_TRUE(queries_->get(manager, project_spec, mine.entity.id).ok());
  EXPECT_TRUE(queries_->get(viewer, project_spec, theirs.entity.id).ok());
  commands::ListPage page;
  ASSERT_TRUE(queries_->list(manager, project_spec, {}, page).ok());
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, mine.entity.id);
  EXPECT_EQ(queries_->list(manager, spec_of("user"), {}, page).kind, Kind::forbidden);
  EXPECT_EQ(queries_->get(viewer, spec_of("user"), manager.user_id).kind, Kind::forbidden);
  std::vector<projections::HistoryEntry> history;
  EXPECT_EQ(queries_->history(manager, project_spec, theirs.entity.id, history).kind,
            Kind::not_found);
  EXPECT_TRUE(queries_->history(manager, project_spec, mine.entity.id, history).ok());

  // Deleted entities outside the scope do not exist either: no conflict with their history.
  const Outcome gone = handler_->create(
      world_->context(),
      CreateEntity{&project_spec, world_->next_id(), std::nullopt, project_fields(p2.id)});
  ASSERT_TRUE(gone.ok());
  ASSERT_TRUE(
      handler_->remove(world_->context(), DeleteEntity{&project_spec, gone.entity.id, 1}).ok());
  EXPECT_EQ(
      handler_
          ->update(as(manager),
                   UpdateEntity{&project_spec, gone.entity.id, 1, {{"name", std::string("x")}}})
          .kind,
      Kind::not_found);
  EXPECT_EQ(handler_->remove(as(manager), DeleteEntity{&project_spec, gone.entity.id, 1}).kind,
            Kind::not_found);
  // In scope, a viewer still may not write: 403 comes before the conflict (API.md's order);
  // a writer in scope gets the usual conflict.
  EXPECT_EQ(handler_->update(as(viewer), UpdateEntity{&project_spec, gone.entity.id, 1, {}}).kind,
            Kind::forbidden);
  EXPECT_EQ(
      handler_->update(world_->context(), UpdateEntity{&project_spec, gone.entity.id, 1, {}}).kind,
      Kind::conflict);
  const Outcome removed_user =
      handler_->remove(world_->context(), DeleteEntity{&spec_of("user"), user().id, 1});
  ASSERT_TRUE(removed_user.ok());
  EXPECT_EQ(
      handler_->update(as(viewer), UpdateEntity{&spec_of("user"), removed_user.entity.id, 1, {}})
          .kind,
      Kind::not_found);

  // A finance manager changes phase budgets, nothing else of a phase.
  const Outcome phase =
      handler_->create(world_->context(), CreateEntity{&spec_of("project_phase"),
                                                       world_->next_id(),
                                                       std::nullopt,
                                                       {{"project_id", mine.entity.id},
                                                        {"name", std::string("Build")},
                                                        {"start_date", std::string("2020-02-01")},
                                                        {"end_date", std::string("2020-02-28")}}});
  ASSERT_TRUE(phase.ok()) << describe(phase);
  const EntitySpec& phase_spec = spec_of("project_phase");
  const Outcome budget = handler_->update(
      as(finance),
      UpdateEntity{&phase_spec,
                   phase.entity.id,
                   1,
                   {{"capital_budget", std::string("10.00")}, {"name", std::string("Build")}}});
  ASSERT_TRUE(budget.ok()) << describe(budget);  // the unchanged name is no change
  EXPECT_EQ(handler_
                ->update(as(finance),
                         UpdateEntity{
                             &phase_spec, phase.entity.id, 2, {{"name", std::string("Renamed")}}})
                .kind,
            Kind::forbidden);
  EXPECT_EQ(handler_->remove(as(finance), DeleteEntity{&phase_spec, phase.entity.id, 2}).kind,
            Kind::forbidden);
}

INSTANTIATE_TEST_SUITE_P(Backends, Access, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
