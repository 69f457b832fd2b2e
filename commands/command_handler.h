// Runs commands: validates, authorizes, loads the current state, decides the events,
// checks the rules, writes the read model and appends, all in one unit of work. A command
// that fails writes nothing.
//
// Thread-safety: safe to call from many threads; each call is its own unit of work.
#pragma once

#include "commands/actor_cache.h"
#include "commands/commands.h"
#include "commands/passwords.h"
#include "commands/sharded_cache.h"
#include "commands/validation.h"
#include "store/event_store.h"

namespace folio::commands {

class CommandHandler {
 public:
  explicit CommandHandler(store::EventStore& store,
                          PasswordPolicy password_policy = PasswordPolicy::interactive());

  Outcome create(const CommandContext& context, const CreateEntity& command);
  // create() for a caller known by a bearer token only, as update_as.
  Outcome create_as(const TokenCheck& token, const CommandContext& context,
                    const CreateEntity& command, std::optional<Actor>& actor);
  Outcome update(const CommandContext& context, const UpdateEntity& command);
  // update() for a caller known by a bearer token only: the token is checked in the
  // statement that loads the entity, inside the command's transaction (one round trip
  // fewer than authenticating first). `context.actor` is ignored. `actor` receives the
  // token's actor; when it stays nullopt the token is not valid, nothing was written and
  // the outcome means nothing. Validation errors are only reported to a valid token.
  Outcome update_as(const TokenCheck& token, const CommandContext& context,
                    const UpdateEntity& command, std::optional<Actor>& actor);
  Outcome remove(const CommandContext& context, const DeleteEntity& command);

  // Each item is decided and written on its own (its own transaction), in order; a failed
  // item never undoes another. Malformed requests as a whole are the caller's to refuse.
  BulkResult bulk_update_assignments(const CommandContext& context,
                                     const std::vector<BulkAssignmentItem>& items);

 private:
  // body(tx) in one unit of work (Access::lazy_write), run again after a unique violation.
  template <class Body>
  Outcome run(const CommandContext& context, Body&& body);
  // run() after loading the entity `id` together with the token's actor (one statement);
  // body(tx, context with that actor, the loaded row).
  template <class Body>
  Outcome run_as(const TokenCheck& token, const CommandContext& context,
                 const events::EntitySpec& spec, const std::string& id, std::optional<Actor>& actor,
                 Body&& body);
  Outcome invalid_for(const TokenCheck& token, std::vector<FieldError> errors,
                      std::optional<Actor>& actor);
  std::string password_hash_of(const events::EntitySpec& spec,
                               const ValidatedFields& validated) const;
  std::optional<Outcome> update_from_remembered(const TokenCheck& token,
                                                const CommandContext& context,
                                                const UpdateEntity& command, const FieldMap& fields,
                                                std::optional<Actor>& actor);
  static bool rememberable(const events::EntitySpec& spec);
  void remember(const events::EntitySpec& spec, const projections::EntityState& state);

  store::EventStore& store_;
  PasswordPolicy password_policy_;
  // Entity states as this server last read or wrote them, by stream id, each at its
  // version (update_from_remembered); 16 shards of up to 1,024.
  ShardedCache<projections::EntityState, 1024> remembered_;
};

}  // namespace folio::commands
