#include "commands/access.h"

#include <algorithm>
#include <array>

#include "commands/actor_and_entity_read.h"
#include "commands/actor_cache.h"
#include "projections/read_model.h"

namespace folio::commands {

namespace {

constexpr const char* kActor = "SELECT " FOLIO_ACTOR_COLUMNS " FROM users u" FOLIO_ACTOR_JOINS
                               " WHERE u.id = $1 AND u.deleted = 0 AND u.is_active = 1";
constexpr const char* kProgramOfProject = "SELECT program_id FROM projects WHERE id = $1";
// After the actor's columns, what ActorCache remembers with it: the token's expiry and the
// access epoch, read in the same statement.
#define FOLIO_TOKEN_COLUMNS FOLIO_ACTOR_COLUMNS ", t.expires_at, (SELECT epoch FROM access_epoch)"
constexpr std::size_t kActorColumns = 5;
constexpr std::size_t kTokenColumns = kActorColumns + 2;
constexpr const char* kTokenActor =
    "SELECT " FOLIO_TOKEN_COLUMNS FOLIO_TOKEN_ACTOR_FROM FOLIO_TOKEN_ACTOR_WHERE;
constexpr const char* kAccessEpoch = "SELECT epoch FROM access_epoch";

std::string text(const store::SqlValue& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? *s : "";
}

// Entity types each role may write (DOMAIN.md), before scopes.
bool role_writes(std::string_view role, std::string_view type) {
  auto in = [&](std::initializer_list<std::string_view> types) {
    return std::find(types.begin(), types.end(), type) != types.end();
  };
  if (role == "admin") return true;
  if (role == "program_manager") {
    return in({"program", "project", "project_phase", "resource_assignment"});
  }
  if (role == "project_manager") {
    return in({"project", "project_phase", "resource_assignment", "actual"});
  }
  if (role == "finance_manager") return in({"project_phase", "rate", "actual"});
  if (role == "resource_manager") {
    return in({"resource", "worker_type", "worker", "resource_assignment"});
  }
  return false;
}

bool covers(const Grant& grant, const EntityScope& scope) {
  if (grant.role == "admin" || grant.scope_type == "global") return true;
  if (scope.organisation || scope.admin_only) return false;
  if (grant.scope_type == "program") {
    return !grant.program_id.empty() && grant.program_id == scope.program_id;
  }
  if (grant.scope_type == "project") {
    return !grant.project_id.empty() && grant.project_id == scope.project_id;
  }
  return false;
}

// The entity's read-model row (NULLs when it does not exist) and, for project children,
// the program of their project, after `leading` columns FROM `from`; the entity's id is
// parameter `id_param`.
std::string with_entity_sql(const events::EntitySpec& spec, const std::string& leading,
                            const std::string& from, const std::string& id_param) {
  const bool child = spec.scope == events::ScopeKind::project_child;
  std::string sql = "SELECT " + leading;
  for (const auto& c : projections::read_model_sql(spec).columns) sql += ", e." + c;
  if (child) sql += ", p.program_id";
  sql += from + " LEFT JOIN " +
         projections::read_model_table(spec, projections::ReadModelCopy::live) +
         " e ON e.id = " + id_param;
  if (child) sql += " LEFT JOIN projects p ON p.id = e.project_id";
  return sql;
}

// One statement per entity type, built once: [0] the token's actor columns (kTokenColumns)
// and the entity (token $1, now $2, id $3); [1] the access epoch and the entity (id $1), for
// a remembered actor.
const std::array<std::string, 2>& entity_sql_of(const events::EntitySpec& spec) {
  static const std::vector<std::array<std::string, 2>> all = [] {
    std::vector<std::array<std::string, 2>> v;
    for (const auto& s : events::all_entities()) {
      v.push_back({with_entity_sql(s, FOLIO_TOKEN_COLUMNS, FOLIO_TOKEN_ACTOR_FROM, "$3") +
                       FOLIO_TOKEN_ACTOR_WHERE,
                   with_entity_sql(s, "a.epoch", " FROM access_epoch a", "$1")});
    }
    return v;
  }();
  return all[static_cast<std::size_t>(&spec - events::all_entities().data())];
}

std::int64_t epoch_of(const store::SqlValue& v) { return std::get<std::int64_t>(v); }

// The actor of kTokenColumns rows with what ActorCache keeps with it; remembered now
// unless the token says not to.
ActorAndEntity actor_from_token_rows(const TokenCheck& token,
                                     const std::vector<store::SqlRow>& rows) {
  ActorAndEntity read;
  read.actor = actor_from_rows(rows);
  if (!read.actor) return read;
  read.token_expires_at = text(rows[0][kActorColumns]);
  read.access_epoch = epoch_of(rows[0][kActorColumns + 1]);
  if (token.remember_now) remember_actor(token, read);
  return read;
}

// The entity columns of `row` from `offset` on (see with_entity_sql).
LoadedEntity loaded_entity(const events::EntitySpec& spec, const store::SqlRow& row,
                           std::size_t offset) {
  LoadedEntity loaded;
  if (std::holds_alternative<std::monostate>(row[offset])) return loaded;
  const std::size_t entity_columns = projections::read_model_sql(spec).columns.size();
  loaded.entity = projections::row_to_state(
      spec, store::SqlRow(row.begin() + offset, row.begin() + offset + entity_columns));
  if (spec.scope == events::ScopeKind::project_child) loaded.program_of_project = text(row.back());
  return loaded;
}

}  // namespace

bool Actor::is_admin() const {
  return system || std::any_of(grants.begin(), grants.end(),
                               [](const Grant& g) { return g.role == "admin"; });
}

std::optional<Actor> actor_from_rows(const std::vector<store::SqlRow>& rows) {
  if (rows.empty()) return std::nullopt;
  Actor actor{text(rows[0][0]), false, {}};
  for (const auto& row : rows) {
    Grant grant{text(row[1]), text(row[2]), text(row[3]), text(row[4])};
    // A non-admin role grants nothing without an active scope.
    if (grant.role == "admin" || (!grant.role.empty() && !grant.scope_type.empty())) {
      actor.grants.push_back(grant);
    }
  }
  return actor;
}

std::optional<Actor> load_actor(store::Transaction& tx, const std::string& user_id) {
  const store::SqlValue param{user_id};
  return actor_from_rows(tx.query(kActor, std::span(&param, 1)));
}

std::shared_ptr<const ActorCache::Entry> remembered_actor(const TokenCheck& token) {
  return token.cache ? token.cache->find(token.token_hash, token.now) : nullptr;
}

std::optional<Actor> actor_for_token(store::Transaction& tx, const TokenCheck& token) {
  if (const auto remembered = remembered_actor(token)) {
    if (epoch_of(tx.query(kAccessEpoch, {}).at(0).at(0)) == remembered->epoch) {
      return remembered->actor;
    }
  }
  const std::vector<store::SqlValue> params{token.token_hash, token.now};
  return actor_from_token_rows(token, tx.query(kTokenActor, params)).actor;
}

void remember_actor(const TokenCheck& token, const ActorAndEntity& loaded) {
  if (!token.cache || !loaded.actor || loaded.access_epoch == 0) return;
  token.cache->remember(token.token_hash, ActorCache::Entry{*loaded.actor, loaded.token_expires_at,
                                                            loaded.access_epoch});
}

ActorAndEntityRead::ActorAndEntityRead(const TokenCheck& token, const events::EntitySpec& spec,
                                       std::string id)
    : token_(token), spec_(spec), id_(std::move(id)), remembered_(remembered_actor(token)) {
  if (remembered_) {
    sql_ = entity_sql_of(spec_)[1].c_str();
    params_ = {id_};
  } else {
    read_with_token();
  }
}

void ActorAndEntityRead::read_with_token() {
  remembered_ = nullptr;
  sql_ = entity_sql_of(spec_)[0].c_str();
  params_ = {token_.token_hash, token_.now, id_};
}

bool ActorAndEntityRead::take(const std::vector<store::SqlRow>& rows) {
  if (remembered_) {
    if (epoch_of(rows.at(0).at(0)) != remembered_->epoch) {
      read_with_token();
      return false;
    }
    result_.actor = remembered_->actor;
    result_.loaded = loaded_entity(spec_, rows.front(), 1);
    actor_epoch_ = remembered_->epoch;
    return true;
  }
  result_ = actor_from_token_rows(token_, rows);
  actor_epoch_ = result_.access_epoch;
  if (result_.actor) result_.loaded = loaded_entity(spec_, rows.front(), kTokenColumns);
  return true;
}

ActorAndEntity load_actor_and_entity(store::Transaction& tx, const TokenCheck& token,
                                     const events::EntitySpec& spec, const std::string& id) {
  ActorAndEntityRead read(token, spec, id);
  while (!read.take(tx.query(read.sql(), read.params()))) {
  }
  return std::move(read.result());
}

EntityScope scope_of(const events::EntitySpec& spec, const projections::EntityState& state,
                     const std::string& program_of_project) {
  EntityScope scope;
  switch (spec.scope) {
    case events::ScopeKind::organisation:
      scope.organisation = true;
      break;
    case events::ScopeKind::admin_only:
      scope.admin_only = true;
      break;
    case events::ScopeKind::program:
      scope.program_id = state.id;
      break;
    case events::ScopeKind::project:
      scope.project_id = state.id;
      scope.program_id = projections::text_field(state.fields, "program_id");
      break;
    case events::ScopeKind::project_child:
      scope.project_id = projections::text_field(state.fields, "project_id");
      scope.program_id = program_of_project;
      break;
  }
  return scope;
}

EntityScope scope_of(store::Transaction& tx, const events::EntitySpec& spec,
                     const projections::EntityState& state, const LoadedEntity* loaded) {
  return loaded ? scope_of(spec, state, loaded->program_of_project) : scope_of(tx, spec, state);
}

EntityScope scope_of(store::Transaction& tx, const events::EntitySpec& spec,
                     const projections::EntityState& state) {
  std::string program;
  if (spec.scope == events::ScopeKind::project_child) {
    const store::SqlValue param{projections::text_field(state.fields, "project_id")};
    const auto rows = tx.query(kProgramOfProject, std::span(&param, 1));
    if (!rows.empty()) program = text(rows[0][0]);
  }
  return scope_of(spec, state, program);
}

bool can_read(const Actor& actor, const EntityScope& scope) {
  if (actor.system) return true;
  if (scope.organisation) return true;
  if (scope.admin_only) return actor.is_admin();
  return std::any_of(actor.grants.begin(), actor.grants.end(),
                     [&](const Grant& g) { return covers(g, scope); });
}

bool may_write_type(const Actor& actor, const events::EntitySpec& spec) {
  if (actor.system) return true;
  return std::any_of(actor.grants.begin(), actor.grants.end(),
                     [&](const Grant& g) { return role_writes(g.role, spec.type); });
}

bool can_write(const Actor& actor, const events::EntitySpec& spec, const EntityScope& scope,
               const std::vector<std::string>& changed_fields, bool create_or_delete) {
  if (actor.system) return true;
  if (scope.admin_only) return actor.is_admin();
  return std::any_of(actor.grants.begin(), actor.grants.end(), [&](const Grant& g) {
    if (!role_writes(g.role, spec.type) || !covers(g, scope)) return false;
    if (g.role == "finance_manager" && spec.type == "project_phase") {
      // Finance managers own the phase budgets, nothing else of a phase.
      if (create_or_delete) return false;
      return std::all_of(changed_fields.begin(), changed_fields.end(), [](const auto& f) {
        return f == "capital_budget" || f == "expense_budget";
      });
    }
    return true;
  });
}

}  // namespace folio::commands

#undef FOLIO_TOKEN_COLUMNS  // unity builds: not into the next file of the batch
