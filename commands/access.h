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

// The SELECT list that actor_from_rows reads, one row per active role and active scope of
// an active user (LEFT JOINs: a user without roles gives one row of NULLs after its id).
// Callers that find the user another way (by token) join the same tables.
#define FOLIO_ACTOR_COLUMNS "u.id, r.role_type, s.scope_type, s.program_id, s.project_id"
#define FOLIO_ACTOR_JOINS                                                             \
  " LEFT JOIN user_roles r ON r.user_id = u.id AND r.deleted = 0 AND r.is_active = 1" \
  " LEFT JOIN scope_assignments s"                                                    \
  " ON s.user_role_id = r.id AND s.deleted = 0 AND s.is_active = 1"

// The actor described by rows of FOLIO_ACTOR_COLUMNS; nullopt when there are none (no
// such active user).
std::optional<Actor> actor_from_rows(const std::vector<store::SqlRow>& rows);
// The rows of FOLIO_ACTOR_COLUMNS for the user behind a bearer token: $1 is the token's
// SHA-256 (hex), $2 the time now (RFC 3339); no rows when the token is unknown, expired or
// its user is deleted or inactive.
#define FOLIO_TOKEN_ACTOR_FROM \
  " FROM auth_tokens t"        \
  " JOIN users u ON u.id = t.user_id AND u.deleted = 0 AND u.is_active = 1" FOLIO_ACTOR_JOINS
#define FOLIO_TOKEN_ACTOR_WHERE " WHERE t.token_hash = $1 AND t.expires_at > $2"

class ActorCache;

// A bearer token as the store checks it (FOLIO_TOKEN_ACTOR_FROM's $1 and $2).
struct TokenCheck {
  std::string token_hash;       // lower-case hex SHA-256 of the token
  std::string now;              // RFC 3339
  ActorCache* cache = nullptr;  // the server's, if it remembers actors (actor_cache.h)
  // False inside a write unit: what it reads may not be committed yet (SQLite runs units
  // in batches that can still fail), so its caller remembers the actor after the unit
  // (remember_actor with the ActorAndEntity it got).
  bool remember_now = true;
};

// The actor behind a bearer token (FOLIO_TOKEN_ACTOR_FROM); nullopt when the token is
// not valid. With token.cache: a remembered actor once the access epoch confirms it.
std::optional<Actor> actor_for_token(store::Transaction& tx, const TokenCheck& token);

// The read-model row of one entity as a command or query starts from it.
struct LoadedEntity {
  std::optional<projections::EntityState> entity;  // nullopt: no such row
  std::string program_of_project;                  // project children: their project's program
  // 0: read in this unit of work. Else the row was remembered, not read (CommandHandler),
  // with an actor remembered at this access epoch: a write decided on them must find the
  // epoch unchanged (and the row at its version), or not happen.
  std::int64_t remembered_at_epoch = 0;
};

// The actor behind a token and the read-model row of one entity, in one statement (with
// token.cache and a remembered actor: the access epoch and the row, one statement; a second
// only when the epoch moved).
struct ActorAndEntity {
  std::optional<Actor> actor;  // nullopt: the token is not valid (nothing else read)
  LoadedEntity loaded;
  // When the actor was read now (not remembered): what ActorCache keeps with it.
  std::string token_expires_at;
  std::int64_t access_epoch = 0;
};
ActorAndEntity load_actor_and_entity(store::Transaction& tx, const TokenCheck& token,
                                     const events::EntitySpec& spec, const std::string& id);
// Remembers in token.cache the actor `loaded` read now (nothing when it was remembered or
// not found), for callers whose TokenCheck had remember_now false, once their unit is over.
void remember_actor(const TokenCheck& token, const ActorAndEntity& loaded);

// Where an entity sits: its program and project (either may be empty).
struct EntityScope {
  bool organisation = false;  // portfolios, resources, worker types, workers, rates
  bool admin_only = false;    // users, roles, scopes
  std::string program_id;
  std::string project_id;
};
EntityScope scope_of(store::Transaction& tx, const events::EntitySpec& spec,
                     const projections::EntityState& state);
// The same when the program of a project child's project is already known (read in the
// same statement as the entity); ignored for other kinds of entity.
EntityScope scope_of(const events::EntitySpec& spec, const projections::EntityState& state,
                     const std::string& program_of_project);
// The scope of `state`: from `loaded`'s program when the caller read it with the entity,
// else as scope_of(tx, ...).
EntityScope scope_of(store::Transaction& tx, const events::EntitySpec& spec,
                     const projections::EntityState& state, const LoadedEntity* loaded);

bool can_read(const Actor& actor, const EntityScope& scope);

// May `actor` write entities of this type anywhere at all (some role of it writes them)?
bool may_write_type(const Actor& actor, const events::EntitySpec& spec);

// May `actor` write this entity (create/update/delete)? `changed_fields` limits roles that
// may only touch some fields (a finance manager changes phase budgets only); empty for
// creates and deletes, which such roles may not do.
bool can_write(const Actor& actor, const events::EntitySpec& spec, const EntityScope& scope,
               const std::vector<std::string>& changed_fields, bool create_or_delete);

}  // namespace folio::commands
