// Runs commands: validates, authorizes, loads the current state, decides the events,
// checks the rules, writes the read model and appends, all in one unit of work. A command
// that fails writes nothing.
//
// Thread-safety: safe to call from many threads; each call is its own unit of work.
#pragma once

#include <functional>
#include <memory>

#include "commands/actor_cache.h"
#include "commands/commands.h"
#include "commands/passwords.h"
#include "commands/sharded_cache.h"
#include "commands/validation.h"
#include "store/event_store.h"

namespace folio::store {
class StatementPipe;
}

namespace folio::commands {

// What became of a command sent through a pipe or run by the store's own thread
// (CommandHandler::update_through_pipe and the like).
struct PipedOutcome {
  enum class Kind {
    done,       // decided as `actor`: `outcome` (through a pipe, a success or a conflict)
    run_again,  // nothing was written: run update_as for the answer
    in_doubt,   // the connection broke after the write was sent: it may have committed
    failed,     // the store could not do it (`error`, a StoreUnavailable): nothing was written
  };
  Kind kind = Kind::run_again;
  Outcome outcome;
  Actor actor;
  std::exception_ptr error;  // failed's
};

class CommandHandler {
 public:
  explicit CommandHandler(store::EventStore& store,
                          PasswordPolicy password_policy = PasswordPolicy::interactive());

  Outcome create(const CommandContext& context, const CreateEntity& command);
  // create() of each command in order, all in one unit of work (one commit for many rows:
  // an import's batches). The outcomes, all successes, when every one was written (or was
  // already there); nullopt when any failed and so none was written: run them one by one
  // with create() to learn which and why.
  std::optional<std::vector<Outcome>> create_all(
      const std::vector<std::pair<CommandContext, CreateEntity>>& commands);
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
  // update_as without waiting for the store, for an event loop: the actor and the row are
  // remembered (update_from_remembered) or read through `pipe` (store/statement_pipe.h), the
  // update is decided on them, its one write goes through `pipe`, and `done` runs on the
  // pipe's thread once it committed (done: a success), or once its 409 is known (done: a
  // conflict, the row read again through `pipe` at another version than the client's, with
  // what changed since read through it too), or when it turned out not written for another
  // reason (an access epoch that moved, a refusal, a decision that needs more reads:
  // run_again; then run update_as for the answer). False, without calling `done`, for a
  // command that cannot go this way: then run update_as. `pipe` must answer writes on its
  // own thread and drop their answers once it is gone (http/loop_statement_pipe.h): the
  // answer of a write may read through it again.
  bool update_through_pipe(const TokenCheck& token, const CommandContext& context,
                           const UpdateEntity& command, store::StatementPipe& pipe,
                           std::function<void(PipedOutcome&)> done);
  // The same for create_as (the row is always read through the pipe).
  bool create_through_pipe(const TokenCheck& token, const CommandContext& context,
                           const CreateEntity& command, store::StatementPipe& pipe,
                           std::function<void(PipedOutcome&)> done);
  // update_as as a unit of work the store runs on its own thread without the caller
  // waiting (EventStore::transact_async: SQLite's writer). `done` runs on that thread with
  // the outcome (any: a conflict, a refusal), or run_again when the unit threw (a unique
  // violation to retry, a store failure) or the token is not valid: then run update_as for
  // the answer. False, without calling `done`, when the store cannot: run update_as.
  // At a remembered version (update_from_remembered) the unit decides on the remembered
  // rows first and reads them only when that did not succeed.
  bool update_async(const TokenCheck& token, const CommandContext& context,
                    const UpdateEntity& command, std::function<void(PipedOutcome&)> done);
  // The same for create_as.
  bool create_async(const TokenCheck& token, const CommandContext& context,
                    const CreateEntity& command, std::function<void(PipedOutcome&)> done);
  Outcome remove(const CommandContext& context, const DeleteEntity& command);
  // Deletes the subject's key (its sealed values become unreadable for good), appends
  // <Prefix>Erased, writes the markers into the read model and removes what else held the
  // values (idempotency answers, login-failure counts; a user's password and tokens), then
  // has the store purge freed space. Erasing an erased subject again changes nothing.
  Outcome erase(const CommandContext& context, const EraseSubject& command);

  // The answer API.md's order of checks puts before a 422 for a write by `actor` whose
  // request is malformed: 404 when entity `id` does not exist within the actor's read
  // scope, 403 when the actor may not write it (for a create, `id` empty: may not create
  // this type anywhere). nullopt when the request itself is the only problem.
  std::optional<Outcome> refusal_before_validation(const Actor& actor,
                                                   const events::EntitySpec& spec,
                                                   const std::string& id, bool create_or_delete);

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
  // The 422 for `errors` to the token's actor (set in `actor`), unless a 404 or 403 comes
  // first (refusal_before_validation); nothing when the token is not valid.
  Outcome invalid_for(const TokenCheck& token, std::vector<FieldError> errors,
                      std::optional<Actor>& actor, const events::EntitySpec& spec,
                      const std::string& id);
  std::string password_hash_of(const events::EntitySpec& spec,
                               const ValidatedFields& validated) const;
  // The token's remembered actor and the entity's remembered state at the version the
  // command expects, if both are remembered (update_from_remembered).
  struct RememberedRows {
    std::shared_ptr<const ActorCache::Entry> who;
    std::shared_ptr<const projections::EntityState> state;
    // The row as a decision sees it: remembered at the actor's epoch, which the write
    // requires unchanged (with the row at its version).
    LoadedEntity loaded() const { return LoadedEntity{*state, "", who->epoch}; }
    // `context` as the remembered actor.
    CommandContext as(CommandContext context) const {
      context.actor = who->actor;
      return context;
    }
  };
  std::optional<RememberedRows> remembered_rows(const TokenCheck& token,
                                                const UpdateEntity& command) const;
  std::optional<Outcome> update_from_remembered(const TokenCheck& token,
                                                const CommandContext& context,
                                                const UpdateEntity& command, const FieldMap& fields,
                                                std::optional<Actor>& actor);
  // A command's decision and write on its entity's row (update_in, create_in), as the
  // actor in the context.
  using DecideOnRow =
      std::function<Outcome(store::Transaction&, const CommandContext&, const LoadedEntity&)>;
  struct Decision {
    std::string id;  // of the entity (a creation's: the new id)
    DecideOnRow decide;
    std::int64_t expected_version = 0;  // an update's: the client's (0: a creation)
  };
  // update_in and create_in as a Decision, on rows loaded before their unit of work
  // (remembered, or read through a pipe).
  static Decision update_decision(const UpdateEntity& command, FieldMap fields);
  static Decision create_decision(const CreateEntity& command, ValidatedFields validated);
  // The decision of a command that may go without blocking its caller; nullopt for the
  // others (invalid, a password to hash, the admin-only types): run those the usual way.
  std::optional<Decision> decision_of(const UpdateEntity& command) const;
  std::optional<Decision> decision_of(const CreateEntity& command) const;
  // Reads the token's actor and the row through `pipe`, then on_row with the context as
  // that actor and the row (its epoch the actor's); run_again when the token is not valid
  // or the pipe could not read.
  using OnRow = std::function<void(const CommandContext& as, const LoadedEntity& loaded,
                                   std::function<void(PipedOutcome&)>& done)>;
  void read_row_through_pipe(store::StatementPipe& pipe, const TokenCheck& token,
                             const CommandContext& context, const events::EntitySpec& spec,
                             const std::string& id, OnRow on_row,
                             std::function<void(PipedOutcome&)> done);
  // Reads the token's actor and the row through `pipe`, then send_decided (or, when it
  // cannot, answer_stale_through_pipe).
  void decide_through_pipe(const TokenCheck& token, const CommandContext& context,
                           const events::EntitySpec& spec, Decision decision,
                           store::StatementPipe& pipe, std::function<void(PipedOutcome&)> done);
  // Decides on `loaded` as `as.actor` and sends the one write through `pipe`; false (`done`
  // untouched) when the command cannot be decided on `loaded` alone or is refused. A write
  // that changed nothing (the row or the epoch moved) reads the row again for
  // answer_stale_through_pipe.
  bool send_decided(store::StatementPipe& pipe, const TokenCheck& token, const CommandContext& as,
                    const events::EntitySpec& spec, const LoadedEntity& loaded,
                    const std::shared_ptr<const Decision>& decision,
                    std::function<void(PipedOutcome&)>& done);
  // The conflict of an update whose client's version is not `loaded`'s, decided on the
  // history read through `pipe`; run_again for anything else.
  void answer_stale_through_pipe(store::StatementPipe& pipe, const CommandContext& as,
                                 const events::EntitySpec& spec, const LoadedEntity& loaded,
                                 const std::shared_ptr<const Decision>& decision,
                                 std::function<void(PipedOutcome&)> done);
  // run_as's read and the decision as one unit of work of the store's own thread.
  // With `remembered` (an update's remembered_rows) the unit first decides on those without
  // reading, as update_from_remembered, and reads only when that did not succeed.
  bool decide_async(const TokenCheck& token, const CommandContext& context,
                    const events::EntitySpec& spec, Decision decision,
                    std::function<void(PipedOutcome&)> done,
                    std::optional<RememberedRows> remembered = std::nullopt);
  static bool rememberable(const events::EntitySpec& spec);
  void remember(const events::EntitySpec& spec, const projections::EntityState& state);

  store::EventStore& store_;
  PasswordPolicy password_policy_;
  // Entity states as this server last read or wrote them, by stream id, each at its
  // version (update_from_remembered); 16 shards of up to 1,024.
  ShardedCache<projections::EntityState, 1024> remembered_;
};

}  // namespace folio::commands
