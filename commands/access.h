// Access control (DOMAIN.md "Access"): roles grant actions, scopes limit where. A user's
// rights are the union over its active roles and their active scopes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projections/entity_state.h"
#include "store/event_store.h"

namespace folio::commands {

struct Grant {
  std::string role;        // admin, program_manager, ...
  std::string scope_type;  // global, program, project
  std::string program_id;  // program scope
  std::string project_id;  // project scope
};

struct Actor {
  std::string user_id;  // recorded on events; empty for the system
  bool system = false;  // command-line tools (import, create-admin): every right
  std::vector<Grant> grants;

  static Actor system_actor() { return Actor{"", true, {}}; }
  bool is_admin() const;
};

// The actor for an active user, with its active roles and their active scopes (an admin
// role needs no scope). nullopt when the user does not exist, is deleted or inactive.
std::optional<Actor> load_actor(store::Transaction& tx, const std::string& user_id);

// Where an entity sits: its program and project (either may be empty).
struct EntityScope {
  bool organisation = false;  // portfolios, resources, worker types, workers, rates
  bool admin_only = false;    // users, roles, scopes
  std::string program_id;
  std::string project_id;
};
EntityScope scope_of(store::Transaction& tx, const events::EntitySpec& spec,
                     const projections::EntityState& state);

bool can_read(const Actor& actor, const EntityScope& scope);

// May `actor` write this entity (create/update/delete)? `changed_fields` limits roles that
// may only touch some fields (a finance manager changes phase budgets only); empty for
// creates and deletes, which such roles may not do.
bool can_write(const Actor& actor, const events::EntitySpec& spec, const EntityScope& scope,
               const std::vector<std::string>& changed_fields, bool create_or_delete);

}  // namespace folio::commands
