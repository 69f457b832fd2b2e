#include "commands/command_handler.h"

#include <algorithm>
#include <cstdint>

#include "commands/actor_and_entity_read.h"
#include "commands/conflict_log.h"
#include "commands/decide.h"
#include "commands/rules.h"
#include "commands/subject_keys.h"
#include "commands/validation.h"
#include "events/timestamp.h"
#include "projections/fold.h"
#include "projections/read_model.h"
#include "store/append_capture.h"
#include "store/detached_transaction.h"
#include "store/statement_pipe.h"

namespace folio::commands {

namespace {

using events::EntitySpec;
using store::ExpectedVersion;
using store::Transaction;
using store::Verdict;

constexpr int kAttempts = 3;  // a lost unique-index race is retried to name the winner

constexpr const char* kUpsertCredentials =
    "INSERT INTO user_credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash,"
    " updated_at = excluded.updated_at";

// A new password ends the user's tokens; the trigger on auth_tokens (migration 0006) moves
// the access epoch, so every server stops accepting them with this transaction.
constexpr const char* kEndTokens = "DELETE FROM auth_tokens WHERE user_id = $1";

bool is_user(const EntitySpec& spec) { return spec.type == "user"; }

FieldMap without_write_only(const EntitySpec& spec, FieldMap fields) {
  std::erase_if(fields, [&](const auto& entry) {
    const auto* f = spec.field(entry.first);
    return f && f->kind == events::FieldKind::password;
  });
  return fields;
}

std::string password_hash_for(const FieldMap& fields, const PasswordPolicy& policy) {
  const auto it = fields.find("password");
  if (it == fields.end()) return "";
  return hash_password(std::get<std::string>(it->second), policy);
}

// The first version a conflict's "what changed since" lists: the one after the client's, or
// a deletion's (after a deletion the list always ends with it, even for a client that sends
// the version the deletion produced, or a later one).
std::int64_t first_version_since(std::int64_t expected, const std::optional<EntityState>& current) {
  std::int64_t since = expected < INT64_MAX ? expected + 1 : INT64_MAX;  // no overflow
  if (current && current->deleted) since = std::min(since, current->version);
  return since;
}

Outcome conflict(Transaction& tx, const EntitySpec& spec, const std::string& id,
                 std::int64_t expected, const std::optional<EntityState>& current,
                 const FieldMap& attempted) {
  Outcome o;
  o.kind = Outcome::Kind::conflict;
  ConflictInfo& c = o.conflict;
  c.entity_type = std::string(spec.type);
  c.entity_id = id;
  c.expected_version = expected;
  c.current_version = current ? current->version : 0;
  if (current && !current->deleted) c.current_state = current;
  c.attempted_changes = without_write_only(spec, attempted);
  const std::int64_t since = first_version_since(expected, current);
  const std::string stream = projections::stream_id_of(spec, id);
  // Up to the version reported as current: on PostgreSQL each statement reads its own
  // snapshot, so a write committed after `current` was read could otherwise show up in the
  // list without being in `current_state`. Versions up to it are all committed and never
  // change, so every read of them agrees.
  const std::int64_t until = current ? current->version : INT64_MAX;
  c.changes_since =
      projections::history_since(spec, since, until, projections::stream_reader(tx, stream));
  return o;
}

// An update or delete repeated with the command id (Idempotency-Key) of one of the same
// user's that already committed (its first answer was lost, or said "outcome unknown"):
// the version check refused the repeat because that very write moved the version on. Then
// the answer is the first one's: the entity as that write left it. nullopt when the stream
// holds no such write.
std::optional<Outcome> earlier_run(Transaction& tx, const CommandContext& context,
                                   const EntitySpec& spec, const std::string& id,
                                   std::int64_t expected) {
  if (context.command_id.empty() || expected == INT64_MAX) return std::nullopt;
  const std::string stream = projections::stream_id_of(spec, id);
  // The one event that write would be first, then (rarely) the stream up to it.
  const auto next = tx.read_stream(stream, expected + 1, expected + 1);
  if (next.empty() || next.front().metadata.command_id != context.command_id ||
      next.front().metadata.user_id != context.actor.user_id) {
    return std::nullopt;
  }
  return Outcome::success(projections::fold(spec, id, tx.read_stream(stream, 1, expected + 1)),
                          false);
}

store::EventMetadata metadata_for(const CommandContext& context, const std::string& now) {
  return {context.actor.user_id, context.request_id, context.command_id, now};
}

// Appends `event` and writes the read model `after` (one statement: append_with); on a
// lost race, the conflict. A password is stored first, in the transaction it begins; a
// changed one ends the user's tokens. (Users, roles and scopes move the access epoch by
// trigger: migration 0006.)
std::optional<Outcome> write(Transaction& tx, const CommandContext& context, const EntitySpec& spec,
                             const EntityState& after, std::int64_t previous_version,
                             const events::NewEvent& event, const std::string& password_hash,
                             const FieldMap& attempted, std::int64_t at_access_epoch = 0) {
  if (!password_hash.empty()) {
    const std::vector<store::SqlValue> params{after.id, password_hash, after.updated_at};
    tx.execute(kUpsertCredentials, params);
    if (previous_version > 0) tx.execute(kEndTokens, std::span(&params[0], 1));
  }
  const auto expected = previous_version == 0 ? ExpectedVersion::no_stream()
                                              : ExpectedVersion::exactly(previous_version);
  const auto row = projections::entity_row_write(spec, after, previous_version, at_access_epoch);
  const std::string stream_id = projections::stream_id_of(spec, after.id);
  const auto result =
      tx.append_with(stream_id, expected, with_personal_fields_sealed(tx, spec, stream_id, event),
                     metadata_for(context, after.updated_at), row.along());
  if (result.status != store::AppendResult::Status::appended) {
    return conflict(tx, spec, after.id, previous_version,
                    projections::load_entity(tx, spec, after.id), attempted);
  }
  return std::nullopt;
}

std::vector<std::string> names_of(const FieldMap& fields) {
  std::vector<std::string> names;
  for (const auto& [name, value] : fields) names.push_back(name);
  return names;
}

// An update's work inside its transaction. `loaded`: the row the caller read already (with
// the token, run_as); without it the row is read here.
// The versions after `expected` up to `current` when none of them changed a field of
// `requested` (a merge of disjoint edits may go over them); nullopt when one did.
std::optional<std::vector<std::int64_t>> disjoint_versions_since(
    Transaction& tx, const EntitySpec& spec, const std::string& id, std::int64_t expected,
    std::int64_t current, const FieldMap& requested) {
  std::vector<std::int64_t> versions;
  for (const auto& event :
       tx.read_stream(projections::stream_id_of(spec, id), expected + 1, current)) {
    const FieldMap changed = projections::event_fields(spec, event);
    for (const auto& [name, value] : requested) {
      if (changed.count(name)) return std::nullopt;
    }
    versions.push_back(event.stream_version);
  }
  return versions;
}

Outcome update_in(Transaction& tx, const CommandContext& context, const EntitySpec& spec,
                  const std::string& id, std::int64_t expected, const FieldMap& requested,
                  const std::string& password_hash, bool merge_disjoint,
                  const LoadedEntity* loaded = nullptr) {
  const auto current = loaded ? loaded->entity : projections::load_entity(tx, spec, id);
  if (!current) return Outcome::missing(std::string(spec.type) + " " + id + " does not exist");
  const EntityScope before_scope = scope_of(tx, spec, *current, loaded);
  // Deleted or not: outside the actor's scope an entity does not exist (a conflict would
  // show its history).
  if (!can_read(context.actor, before_scope)) {
    return Outcome::missing(std::string(spec.type) + " " + id + " does not exist");
  }
  // API.md's order: 403 (may not write this), 422 (a fixed field), then 409 (a stale
  // version; a deleted entity is a conflict too).
  const FieldMap changes = changed_fields(spec, current->fields, requested);
  std::vector<std::string> touched = names_of(changes);
  if (!password_hash.empty()) touched.push_back("password");
  if (!can_write(context.actor, spec, before_scope, touched, false)) {
    return Outcome::refused("you may not change this " + std::string(spec.type));
  }
  std::vector<FieldError> fixed;
  for (const auto& [name, value] : requested) {
    const auto* field = spec.field(name);
    const auto it = current->fields.find(name);
    if (field && field->fixed && (it == current->fields.end() || it->second != value)) {
      fixed.push_back({name, "cannot be changed after create"});
    }
  }
  if (!fixed.empty() && !current->deleted) return Outcome::invalid(std::move(fixed));
  std::vector<std::int64_t> merged_over;
  if (current->deleted || current->version != expected) {
    if (auto again = earlier_run(tx, context, spec, id, expected)) return *again;
    std::optional<std::vector<std::int64_t>> disjoint;
    if (merge_disjoint && !current->deleted && expected >= 1 && expected < current->version) {
      disjoint = disjoint_versions_since(tx, spec, id, expected, current->version, requested);
    }
    if (!disjoint) return conflict(tx, spec, id, expected, current, requested);
    merged_over = std::move(*disjoint);  // the checks below hold the result to every rule
  }
  const auto event = decide_update(spec, changes);
  const EntityState after = state_after(spec, *current, event, events::now_timestamp());
  if (auto errors = check_entity_rules(spec, after.fields); !errors.empty()) {
    return Outcome::invalid(std::move(errors));
  }
  const EntityScope after_scope = scope_of(tx, spec, after);
  if (!can_write(context.actor, spec, after_scope, touched, false)) {
    return Outcome::refused("you may not move this " + std::string(spec.type) + " there");
  }
  if (auto failed = check_references(tx, spec, after)) return *failed;
  if (auto failed = check_collisions(tx, spec, after)) return *failed;
  if (auto failed = check_children_inside_dates(tx, spec, *current, after)) return *failed;
  if (auto failed = write(tx, context, spec, after, current->version, event, password_hash,
                          requested, loaded ? loaded->remembered_at_epoch : 0)) {
    return *failed;
  }
  Outcome done = Outcome::success(after, false);
  done.merged_over = std::move(merged_over);
  return done;
}

// A create's work inside its transaction; `loaded` as for update_in.
Outcome create_in(Transaction& tx, const CommandContext& context, const EntitySpec& spec,
                  const std::string& id, const ValidatedFields& validated,
                  const std::string& password_hash, const LoadedEntity* loaded = nullptr) {
  const auto existing = loaded ? loaded->entity : projections::load_entity(tx, spec, id);
  if (existing) {
    const FieldMap requested = without_write_only(spec, validated.fields);
    const bool same =
        existing->exists() && changed_fields(spec, existing->fields, requested).empty();
    if (same && can_read(context.actor, scope_of(tx, spec, *existing, loaded))) {
      return Outcome::success(*existing, false);  // a retried create: safe
    }
    return Outcome::violated(
        {"id_taken", "this id is already used by another entity", std::string(spec.type), id});
  }
  FieldMap fields = validated.fields;
  if (spec.type == "actual") {
    // The computed cost needs a live worker (and the split a live assignment): the
    // access and reference checks come first, so that a missing worker is reported as
    // such and not as "no rate is active".
    EntityState draft;
    draft.id = id;
    draft.fields = fields;
    if (!can_write(context.actor, spec, scope_of(tx, spec, draft), {}, true)) {
      return Outcome::refused("you may not create this " + std::string(spec.type));
    }
    if (auto failed = check_references(tx, spec, draft)) return *failed;
    if (auto failed = complete_actual(tx, fields, validated.fields)) return *failed;
  }
  if (auto errors = check_entity_rules(spec, fields); !errors.empty()) {
    return Outcome::invalid(std::move(errors));
  }
  EntityState empty;
  empty.id = id;
  const auto event = decide_create(spec, fields);
  const EntityState after = state_after(spec, empty, event, events::now_timestamp());
  if (!can_write(context.actor, spec, scope_of(tx, spec, after), {}, true)) {
    return Outcome::refused("you may not create this " + std::string(spec.type));
  }
  if (auto failed = check_references(tx, spec, after)) return *failed;
  if (auto failed = check_collisions(tx, spec, after)) return *failed;
  if (auto failed = write(tx, context, spec, after, 0, event, password_hash, fields)) {
    return *failed;
  }
  return Outcome::success(after, true);
}

// Checks a create command's own shape and fields (no store work).
ValidatedFields validate_create(const CreateEntity& command) {
  if (command.version && *command.version != 1) {
    return {{}, {{"version", "must be absent or 1 when creating"}}};
  }
  if (!command.id.empty() && !is_uuid(command.id)) {
    return {{}, {{"id", "must be a lower-case UUID"}}};
  }
  return validate_fields(*command.spec, command.fields, ValidationMode::create);
}

ValidatedFields validate_update(const UpdateEntity& command) {
  ValidatedFields validated =
      validate_fields(*command.spec, command.fields, ValidationMode::update);
  if (!command.expected_version) {
    validated.errors.insert(validated.errors.begin(),
                            {"version", "is required: send the version you last saw"});
  } else if (*command.expected_version < 1) {
    validated.errors.insert(validated.errors.begin(), {"version", "must be positive"});
  }
  return validated;
}

}  // namespace

CommandHandler::CommandHandler(store::EventStore& store, PasswordPolicy password_policy)
    : store_(store), password_policy_(password_policy) {}

template <class Body>
Outcome CommandHandler::run(const CommandContext& context, Body&& body) {
  for (int attempt = 1;; ++attempt) {
    Outcome outcome;
    try {
      // lazy_write: a command whose checks take no lock and whose only write is write()'s one
      // statement runs without BEGIN/COMMIT on PostgreSQL; others begin at their first lock.
      store_.transact(store::Access::lazy_write, [&](Transaction& tx) {
        outcome = body(tx);
        return outcome.ok() ? Verdict::commit : Verdict::rollback;
      });
    } catch (const store::UniqueViolation&) {
      // A concurrent writer took a unique value between our check and our write. Run the
      // command again: its checks now see the winner and name it.
      if (attempt < kAttempts) continue;
      return Outcome::violated({"unique", "a value that must be unique is already in use", "", ""});
    }
    if (outcome.kind == Outcome::Kind::conflict) {
      log_conflict(outcome.conflict, context.actor.user_id, context.request_id);
    }
    return outcome;
  }
}

Outcome CommandHandler::create(const CommandContext& context, const CreateEntity& command) {
  ValidatedFields validated = validate_create(command);
  if (!validated.errors.empty()) {
    if (auto refused = refusal_before_validation(context.actor, *command.spec, "", true)) {
      return std::move(*refused);
    }
    return Outcome::invalid(std::move(validated.errors));
  }
  const std::string id = command.id.empty() ? new_id() : command.id;
  const std::string password_hash = password_hash_of(*command.spec, validated);
  return run(context, [&](Transaction& tx) {
    return create_in(tx, context, *command.spec, id, validated, password_hash);
  });
}

std::optional<std::vector<Outcome>> CommandHandler::create_all(
    const std::vector<std::pair<CommandContext, CreateEntity>>& commands) {
  struct Checked {
    ValidatedFields validated;
    std::string id;
    std::string password_hash;
  };
  std::vector<Checked> checked;
  checked.reserve(commands.size());
  for (const auto& [context, command] : commands) {
    ValidatedFields validated = validate_create(command);
    if (!validated.errors.empty()) return std::nullopt;
    std::string password_hash = password_hash_of(*command.spec, validated);
    checked.push_back({std::move(validated), command.id.empty() ? new_id() : command.id,
                       std::move(password_hash)});
  }
  std::vector<Outcome> outcomes;
  if (commands.empty()) return outcomes;
  try {
    store_.transact(store::Access::read_write, [&](Transaction& tx) {
      outcomes.clear();
      for (std::size_t i = 0; i < commands.size(); ++i) {
        const auto& [context, command] = commands[i];
        outcomes.push_back(create_in(tx, context, *command.spec, checked[i].id,
                                     checked[i].validated, checked[i].password_hash));
        if (!outcomes.back().ok()) return Verdict::rollback;
      }
      return Verdict::commit;
    });
  } catch (const store::UniqueViolation&) {
    return std::nullopt;  // a concurrent writer took a unique value: create() says which
  }
  if (outcomes.size() != commands.size() || !outcomes.back().ok()) return std::nullopt;
  return outcomes;
}

Outcome CommandHandler::create_as(const TokenCheck& token, const CommandContext& context,
                                  const CreateEntity& command, std::optional<Actor>& actor) {
  ValidatedFields validated = validate_create(command);
  if (!validated.errors.empty()) {
    return invalid_for(token, std::move(validated.errors), actor, *command.spec, "");
  }
  const std::string id = command.id.empty() ? new_id() : command.id;
  const std::string password_hash = password_hash_of(*command.spec, validated);
  Outcome outcome =
      run_as(token, context, *command.spec, id, actor,
             [&](Transaction& tx, const CommandContext& as, const LoadedEntity& row) {
               return create_in(tx, as, *command.spec, id, validated, password_hash, &row);
             });
  if (outcome.ok()) remember(*command.spec, outcome.entity);
  return outcome;
}

Outcome CommandHandler::update(const CommandContext& context, const UpdateEntity& command) {
  ValidatedFields validated = validate_update(command);
  if (!validated.errors.empty()) {
    if (auto refused = refusal_before_validation(context.actor, *command.spec, command.id, false)) {
      return std::move(*refused);
    }
    return Outcome::invalid(std::move(validated.errors));
  }
  const std::string password_hash = password_hash_of(*command.spec, validated);
  return run(context, [&](Transaction& tx) {
    return update_in(tx, context, *command.spec, command.id, *command.expected_version,
                     validated.fields, password_hash, command.merge_disjoint);
  });
}

Outcome CommandHandler::update_as(const TokenCheck& token, const CommandContext& context,
                                  const UpdateEntity& command, std::optional<Actor>& actor) {
  ValidatedFields validated = validate_update(command);
  if (!validated.errors.empty()) {
    return invalid_for(token, std::move(validated.errors), actor, *command.spec, command.id);
  }
  const std::string password_hash = password_hash_of(*command.spec, validated);
  if (password_hash.empty()) {
    if (auto done = update_from_remembered(token, context, command, validated.fields, actor)) {
      return std::move(*done);
    }
  }
  Outcome outcome =
      run_as(token, context, *command.spec, command.id, actor,
             [&](Transaction& tx, const CommandContext& as, const LoadedEntity& row) {
               return update_in(tx, as, *command.spec, command.id, *command.expected_version,
                                validated.fields, password_hash, command.merge_disjoint, &row);
             });
  if (outcome.ok()) remember(*command.spec, outcome.entity);
  return outcome;
}

// Entities whose access scope follows from their own row (not project children, whose
// project's program is read with them; not users, roles and scopes, which move the access
// epoch themselves).
bool CommandHandler::rememberable(const EntitySpec& spec) {
  return spec.scope != events::ScopeKind::project_child &&
         spec.scope != events::ScopeKind::admin_only;
}

void CommandHandler::remember(const EntitySpec& spec, const EntityState& state) {
  if (rememberable(spec) && state.exists()) {
    remembered_.remember(projections::stream_id_of(spec, state.id), state);
  }
}

std::optional<CommandHandler::RememberedRows> CommandHandler::remembered_rows(
    const TokenCheck& token, const UpdateEntity& command) const {
  const EntitySpec& spec = *command.spec;
  if (!rememberable(spec)) return std::nullopt;
  auto who = remembered_actor(token);
  auto state = remembered_.find(projections::stream_id_of(spec, command.id));
  if (!who || !state || state->version != *command.expected_version) return std::nullopt;
  return RememberedRows{std::move(who), std::move(state)};
}

CommandHandler::Decision CommandHandler::update_decision(const UpdateEntity& command,
                                                         FieldMap fields) {
  return {command.id,
          [command, fields = std::move(fields)](Transaction& tx, const CommandContext& as,
                                                const LoadedEntity& row) {
            return update_in(tx, as, *command.spec, command.id, *command.expected_version, fields,
                             "", command.merge_disjoint, &row);
          },
          *command.expected_version};
}

CommandHandler::Decision CommandHandler::create_decision(const CreateEntity& command,
                                                         ValidatedFields validated) {
  std::string id = command.id.empty() ? new_id() : command.id;
  return {id, [spec = command.spec, id, validated = std::move(validated)](
                  Transaction& tx, const CommandContext& as, const LoadedEntity& row) {
            return create_in(tx, as, *spec, id, validated, "", &row);
          }};
}

namespace {
// Commands that may go without blocking their caller: valid, without a password to hash,
// not on the admin-only types (whose writes move the access epoch).
bool goes_without_blocking(const EntitySpec& spec, const ValidatedFields& validated,
                           const std::string& password_hash) {
  return validated.errors.empty() && password_hash.empty() &&
         spec.scope != events::ScopeKind::admin_only;
}
}  // namespace

std::optional<CommandHandler::Decision> CommandHandler::decision_of(
    const UpdateEntity& command) const {
  ValidatedFields validated = validate_update(command);
  if (!goes_without_blocking(*command.spec, validated, password_hash_of(*command.spec, validated)))
    return std::nullopt;
  return update_decision(command, std::move(validated.fields));
}

std::optional<CommandHandler::Decision> CommandHandler::decision_of(
    const CreateEntity& command) const {
  ValidatedFields validated = validate_create(command);
  if (!goes_without_blocking(*command.spec, validated, password_hash_of(*command.spec, validated)))
    return std::nullopt;
  return create_decision(command, std::move(validated));
}

// An update decided on remembered rows, without reading them: the token's actor
// (ActorCache) and the entity's state at exactly the version the client sent (a state at a
// version never changes). The write then also requires the row still at that version and
// the access epoch still at the actor's (projections::entity_row_write), so it happens only
// if the decision is the one the store's rows would have given. Anything but success
// (a moved row or epoch, or any refusal) is decided again from the store: nullopt.
std::optional<Outcome> CommandHandler::update_from_remembered(const TokenCheck& token,
                                                              const CommandContext& context,
                                                              const UpdateEntity& command,
                                                              const FieldMap& fields,
                                                              std::optional<Actor>& actor) {
  const auto rows = remembered_rows(token, command);
  if (!rows) return std::nullopt;
  Outcome outcome;
  try {
    store_.transact(store::Access::lazy_write, [&](Transaction& tx) {
      outcome = update_decision(command, fields).decide(tx, rows->as(context), rows->loaded());
      return outcome.ok() ? Verdict::commit : Verdict::rollback;
    });
  } catch (const store::UniqueViolation&) {
    return std::nullopt;
  }
  if (!outcome.ok()) return std::nullopt;
  actor = rows->who->actor;
  remember(*command.spec, outcome.entity);
  return outcome;
}

bool CommandHandler::update_through_pipe(const TokenCheck& token, const CommandContext& context,
                                         const UpdateEntity& command, store::StatementPipe& pipe,
                                         std::function<void(PipedOutcome&)> done) {
  auto decision = decision_of(command);
  if (!decision) return false;
  if (const auto rows = remembered_rows(token, command)) {
    return send_decided(pipe, token, rows->as(context), *command.spec, rows->loaded(),
                        std::make_shared<const Decision>(std::move(*decision)), done);
  }
  decide_through_pipe(token, context, *command.spec, std::move(*decision), pipe, std::move(done));
  return true;
}

bool CommandHandler::create_through_pipe(const TokenCheck& token, const CommandContext& context,
                                         const CreateEntity& command, store::StatementPipe& pipe,
                                         std::function<void(PipedOutcome&)> done) {
  auto decision = decision_of(command);
  if (!decision) return false;
  decide_through_pipe(token, context, *command.spec, std::move(*decision), pipe, std::move(done));
  return true;
}

void CommandHandler::read_row_through_pipe(store::StatementPipe& pipe, const TokenCheck& token,
                                           const CommandContext& context, const EntitySpec& spec,
                                           const std::string& id, OnRow on_row,
                                           std::function<void(PipedOutcome&)> done) {
  read_through_pipe(pipe, token, spec, id,
                    [this, &spec, context, on_row = std::move(on_row),
                     done = std::move(done)](ActorAndEntityRead* read) mutable {
                      PipedOutcome run_again;
                      if (!read || !read->result().actor) return done(run_again);
                      const ActorAndEntity& result = read->result();
                      if (result.loaded.entity) remember(spec, *result.loaded.entity);
                      CommandContext as = context;
                      as.actor = *result.actor;
                      LoadedEntity loaded = result.loaded;
                      loaded.remembered_at_epoch = read->actor_epoch();
                      on_row(as, loaded, done);
                    });
}

// The actor and the row read through the pipe, as a GET reads them; then send_decided, or
// the conflict's answer when the row is not at the client's version. An update's write
// requires the row at its version and the access epoch at the actor's, as for remembered
// rows: whatever moved between the read and the write makes it not happen.
// A creation's write requires only that the row still does not exist, as on the blocking
// way (whose read and write are two statements as well): a change of the actor's rights
// that commits between them does not stop it. Not closed yet: the row's INSERT would need
// an epoch guard of its own (projections/read_model.cpp, update_at_epoch's counterpart).
void CommandHandler::decide_through_pipe(const TokenCheck& token, const CommandContext& context,
                                         const EntitySpec& spec, Decision decision,
                                         store::StatementPipe& pipe,
                                         std::function<void(PipedOutcome&)> done) {
  const std::string id = decision.id;
  read_row_through_pipe(
      pipe, token, context, spec, id,
      [this, &pipe, token, &spec, decision = std::make_shared<const Decision>(std::move(decision))](
          const CommandContext& as, const LoadedEntity& loaded,
          std::function<void(PipedOutcome&)>& done) {
        if (!send_decided(pipe, token, as, spec, loaded, decision, done)) {
          answer_stale_through_pipe(pipe, as, spec, loaded, decision, std::move(done));
        }
      },
      std::move(done));
}

bool CommandHandler::send_decided(store::StatementPipe& pipe, const TokenCheck& token,
                                  const CommandContext& as, const EntitySpec& spec,
                                  const LoadedEntity& loaded,
                                  const std::shared_ptr<const Decision>& decision,
                                  std::function<void(PipedOutcome&)>& done) {
  if (loaded.remembered_at_epoch == 0) return false;  // the write could not check the actor
  // At another version than the client's, update_in reads the history (the conflict's
  // changes since, or whether the changes are disjoint), which a captured write cannot: it
  // throws, and the caller reads it through the pipe (answer_stale_through_pipe). Deciding
  // only to throw cost half of every such 409 (5 % of the loops on PostgreSQL's hot set).
  if (decision->expected_version > 0 && loaded.entity &&
      loaded.entity->version != decision->expected_version) {
    return false;
  }
  Outcome outcome;
  std::unique_ptr<store::PipedWrite> write;
  try {
    write = store_.capture_write([&](Transaction& tx) {
      outcome = decision->decide(tx, as, loaded);
      return outcome.ok() ? Verdict::commit : Verdict::rollback;
    });
  } catch (const std::exception&) {
    return false;  // the usual way meets it again and answers it
  }
  if (!write) return false;
  pipe.submit_write(
      std::move(write),
      [this, &pipe, token, &spec, decision, as, outcome = std::move(outcome),
       done = std::move(done)](store::WriteAnswer answer, std::int64_t position) mutable {
        PipedOutcome result;  // run_again
        if (answer == store::WriteAnswer::in_doubt) {
          result.kind = PipedOutcome::Kind::in_doubt;
        } else if (answer == store::WriteAnswer::committed && position > 0) {
          remember(spec, outcome.entity);
          result = {PipedOutcome::Kind::done, std::move(outcome), std::move(as.actor)};
        } else if (answer == store::WriteAnswer::committed && decision->expected_version > 0) {
          // Nothing written: the row (or the access epoch) moved since it was read. Read it
          // again; a row at another version than the client's makes the answer a conflict.
          return read_row_through_pipe(
              pipe, token, as, spec, decision->id,
              [this, &pipe, &spec, decision](const CommandContext& as, const LoadedEntity& loaded,
                                             std::function<void(PipedOutcome&)>& done) {
                answer_stale_through_pipe(pipe, as, spec, loaded, decision, std::move(done));
              },
              std::move(done));
        }
        done(result);
      });
  return true;
}

// The 409 of an update whose client's version is not the row's (`loaded`, read through the
// pipe), decided as the usual way decides it (update_in, conflict()) on the events since
// that version read through the pipe too: the first window history_since reads, from which
// it builds what changed since. Anything else (the same version, a decision that needs
// more of the history or other reads, any other answer) runs again the usual way.
void CommandHandler::answer_stale_through_pipe(store::StatementPipe& pipe, const CommandContext& as,
                                               const EntitySpec& spec, const LoadedEntity& loaded,
                                               const std::shared_ptr<const Decision>& decision,
                                               std::function<void(PipedOutcome&)> done) {
  const std::int64_t expected = decision->expected_version;
  if (!loaded.entity || expected <= 0 || loaded.entity->version == expected) {
    PipedOutcome run_again;
    return done(run_again);
  }
  auto excerpt = std::make_shared<store::StreamExcerpt>();
  excerpt->stream_id = projections::stream_id_of(spec, decision->id);
  excerpt->to = loaded.entity->version;
  // What conflict() asks history_since for first.
  excerpt->from = std::max<std::int64_t>(
      1, first_version_since(expected, loaded.entity) - projections::kHistoryFirstWindow);
  store_.read_stream_through(
      pipe, excerpt->stream_id, excerpt->from, excerpt->to,
      [this, &spec, as, loaded, decision, excerpt,
       done = std::move(done)](std::vector<events::RecordedEvent>* events) {
        PipedOutcome result;  // run_again
        if (events) {
          excerpt->events = std::move(*events);
          store::StreamExcerptTransaction tx(*excerpt);
          try {
            Outcome outcome = decision->decide(tx, as, loaded);
            if (outcome.kind == Outcome::Kind::conflict) {
              log_conflict(outcome.conflict, as.actor.user_id, as.request_id);
              result = {PipedOutcome::Kind::done, std::move(outcome), as.actor};
            }
          } catch (const std::exception&) {
            // needs more than the excerpt: the usual way
          }
        }
        done(result);
      });
}

bool CommandHandler::update_async(const TokenCheck& token, const CommandContext& context,
                                  const UpdateEntity& command,
                                  std::function<void(PipedOutcome&)> done) {
  auto decision = decision_of(command);
  return decision && decide_async(token, context, *command.spec, std::move(*decision),
                                  std::move(done), remembered_rows(token, command));
}

bool CommandHandler::create_async(const TokenCheck& token, const CommandContext& context,
                                  const CreateEntity& command,
                                  std::function<void(PipedOutcome&)> done) {
  auto decision = decision_of(command);
  return decision &&
         decide_async(token, context, *command.spec, std::move(*decision), std::move(done));
}

namespace {
bool is_unavailable(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const store::StoreUnavailable&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

// run_as as a unit of work of the store's own thread (EventStore::transact_async).
bool CommandHandler::decide_async(const TokenCheck& token, const CommandContext& context,
                                  const EntitySpec& spec, Decision decision,
                                  std::function<void(PipedOutcome&)> done,
                                  std::optional<RememberedRows> remembered) {
  // What the unit reads and decides, kept for `done`; the unit runs on the store's thread.
  struct Unit {
    TokenCheck token;
    CommandContext context;
    DecideOnRow decide;
    std::optional<RememberedRows> remembered;
    std::optional<store::AppendCapture> write;  // decided here on the remembered rows
    ActorAndEntity read;
    Outcome outcome;
  };
  auto unit = std::make_shared<Unit>(
      Unit{token, context, std::move(decision.decide), std::move(remembered), {}, {}, {}});
  unit->token.remember_now = false;  // remembered once the unit is over (see run_as)
  if (const auto& rows = unit->remembered) {
    // Decided here, on the caller's thread, when the remembered rows are all it needs: the
    // store's thread then only runs its one write.
    store::AppendCapture capture;
    try {
      Outcome outcome = unit->decide(capture, rows->as(unit->context), rows->loaded());
      if (outcome.ok() && capture.captured()) {
        unit->outcome = std::move(outcome);
        unit->write = std::move(capture);
      } else if (!outcome.ok()) {
        unit->remembered.reset();  // a refusal: the store's rows decide it
      }
    } catch (const std::exception&) {
      // It needs the store (a read, a second write): decided in the store's transaction.
    }
  }
  auto work = [unit, &spec, id = std::move(decision.id)](Transaction& tx) {
    // As update_from_remembered: a success on the remembered rows is the store's own answer
    // (the write required the row at that version and the epoch at the actor's); anything
    // else wrote nothing of the row and is decided again on what is read now.
    if (unit->write) {
      if (unit->write->replay(tx).status == store::AppendResult::Status::appended) {
        unit->read.actor = unit->remembered->who->actor;
        return Verdict::commit;
      }
      unit->write.reset();
      unit->remembered.reset();
    } else if (const auto& rows = unit->remembered) {
      unit->outcome = unit->decide(tx, rows->as(unit->context), rows->loaded());
      if (unit->outcome.ok()) {
        unit->read.actor = rows->who->actor;
        return Verdict::commit;
      }
      unit->remembered.reset();
    }
    unit->read = load_actor_and_entity(tx, unit->token, spec, id);
    if (!unit->read.actor) return Verdict::rollback;
    CommandContext as = unit->context;
    as.actor = *unit->read.actor;
    unit->outcome = unit->decide(tx, as, unit->read.loaded);
    return unit->outcome.ok() ? Verdict::commit : Verdict::rollback;
  };
  auto finish = [this, unit, token, &spec, done = std::move(done)](std::exception_ptr error) {
    PipedOutcome result;  // run_again
    if (error && is_unavailable(error)) {
      // Running it again the blocking way would wait for the same store again (SQLite: its
      // lock, up to 10 s more): answer now.
      result = {PipedOutcome::Kind::failed, {}, {}, error};
    } else if (!error && unit->read.actor) {
      if (!unit->remembered) remember_actor(token, unit->read);
      if (unit->outcome.ok()) {
        remember(spec, unit->outcome.entity);
      } else if (unit->read.loaded.entity) {
        remember(spec, *unit->read.loaded.entity);
      }
      if (unit->outcome.kind == Outcome::Kind::conflict) {
        log_conflict(unit->outcome.conflict, unit->read.actor->user_id, unit->context.request_id);
      }
      result = {PipedOutcome::Kind::done, std::move(unit->outcome), *unit->read.actor};
    }
    done(result);
  };
  return store_.transact_async(std::move(work), std::move(finish));
}

std::string CommandHandler::password_hash_of(const EntitySpec& spec,
                                             const ValidatedFields& validated) const {
  return is_user(spec) ? password_hash_for(validated.fields, password_policy_) : "";
}

Outcome CommandHandler::invalid_for(const TokenCheck& token, std::vector<FieldError> errors,
                                    std::optional<Actor>& actor, const EntitySpec& spec,
                                    const std::string& id) {
  // Refused without a transaction, but only to a valid token: 401 comes first.
  store_.transact(store::Access::read_statement, [&](Transaction& tx) {
    actor = actor_for_token(tx, token);
    return Verdict::commit;
  });
  if (actor) {
    if (auto refused = refusal_before_validation(*actor, spec, id, id.empty())) {
      return std::move(*refused);
    }
  }
  return Outcome::invalid(std::move(errors));
}

std::optional<Outcome> CommandHandler::refusal_before_validation(const Actor& actor,
                                                                 const EntitySpec& spec,
                                                                 const std::string& id,
                                                                 bool create_or_delete) {
  if (id.empty()) {
    if (may_write_type(actor, spec)) return std::nullopt;
    return Outcome::refused("you may not create a " + std::string(spec.type));
  }
  std::optional<Outcome> refusal;
  store_.transact(store::Access::read_only, [&](Transaction& tx) {
    const auto current = is_uuid(id) ? projections::load_entity(tx, spec, id) : std::nullopt;
    const EntityScope scope = current ? scope_of(tx, spec, *current) : EntityScope{};
    if (!current || !can_read(actor, scope)) {
      refusal = Outcome::missing(std::string(spec.type) + " " + id + " does not exist");
    } else if (!can_write(actor, spec, scope, {}, create_or_delete)) {
      refusal = Outcome::refused("you may not change this " + std::string(spec.type));
    }
    return Verdict::commit;
  });
  return refusal;
}

template <class Body>
Outcome CommandHandler::run_as(const TokenCheck& token, const CommandContext& request,
                               const EntitySpec& spec, const std::string& id,
                               std::optional<Actor>& actor, Body&& body) {
  actor.reset();
  CommandContext context = request;  // its actor is the token's, set in the transaction
  // What the unit read is remembered once it is over: on SQLite it may read its batch's
  // uncommitted writes (see TokenCheck::remember_now).
  TokenCheck in_unit = token;
  in_unit.remember_now = false;
  ActorAndEntity read;
  Outcome outcome = run(context, [&](Transaction& tx) {
    read = load_actor_and_entity(tx, in_unit, spec, id);
    actor = read.actor;
    if (!actor) return Outcome::missing("the token is not valid");  // nothing to roll back
    context.actor = *actor;
    return body(tx, context, read.loaded);
  });
  remember_actor(token, read);
  if (read.loaded.entity) remember(spec, *read.loaded.entity);
  return outcome;
}

Outcome CommandHandler::remove(const CommandContext& context, const DeleteEntity& command) {
  const EntitySpec& spec = *command.spec;
  if (!command.expected_version || *command.expected_version < 1) {
    if (auto refused = refusal_before_validation(context.actor, spec, command.id, true)) {
      return std::move(*refused);
    }
    return Outcome::invalid("version", command.expected_version
                                           ? "must be positive"
                                           : "is required: send the version you last saw");
  }
  const std::int64_t expected = *command.expected_version;
  return run(context, [&](Transaction& tx) -> Outcome {
    const auto current = projections::load_entity(tx, spec, command.id);
    const auto missing = [&] {
      return Outcome::missing(std::string(spec.type) + " " + command.id + " does not exist");
    };
    if (!current) return missing();
    const EntityScope scope = scope_of(tx, spec, *current);
    if (!can_read(context.actor, scope)) return missing();   // deleted ones too
    if (!can_write(context.actor, spec, scope, {}, true)) {  // 403 before 409 (API.md)
      return Outcome::refused("you may not delete this " + std::string(spec.type));
    }
    if (current->deleted || current->version != expected) {
      if (auto again = earlier_run(tx, context, spec, command.id, expected)) return *again;
      return conflict(tx, spec, command.id, expected, current, {});
    }
    if (auto failed = check_no_children(tx, spec, command.id)) return *failed;
    const auto event = decide_delete(spec);
    const EntityState after = state_after(spec, *current, event, events::now_timestamp());
    if (auto failed = write(tx, context, spec, after, current->version, event, "", {})) {
      return *failed;
    }
    return Outcome::success(after, false);
  });
}

Outcome CommandHandler::erase(const CommandContext& context, const EraseSubject& command) {
  const EntitySpec& spec = *command.spec;
  const auto missing = [&] {
    return Outcome::missing(std::string(spec.type) + " " + command.id + " does not exist");
  };
  if (!context.actor.is_admin()) {
    return Outcome::refused("only an administrator may erase personal data");
  }
  if (!spec.has_personal_fields() || !is_uuid(command.id)) return missing();
  const long reason_length = utf8_length(command.reason);
  if (reason_length < 1 || reason_length > 1000 || command.reason.find('\0') != std::string::npos) {
    return Outcome::invalid("reason", "is required: 1 to 1000 characters of UTF-8 text");
  }
  Outcome outcome = run(context, [&](Transaction& tx) -> Outcome {
    const auto current = projections::load_entity(tx, spec, command.id);
    if (!current) return missing();
    const auto event = decide_erase(spec, current->fields, command.reason);
    EntityState after = state_after(spec, *current, event, events::now_timestamp());
    forget_subject(tx, spec, command.id, projections::text_field(current->fields, "username"));
    if (after.fields == current->fields && after.deleted == current->deleted) {
      return Outcome::success(*current, false);  // erased already: nothing left to erase
    }
    if (auto failed = write(tx, context, spec, after, current->version, event, "", {})) {
      return *failed;
    }
    return Outcome::success(std::move(after), false);
  });
  // Old row versions and freed pages may still hold the values: have the store purge them.
  // Also when the subject was erased already, so that running the erasure again completes
  // a purge that a crash (or a lost connection) cut short after the commit.
  if (outcome.ok()) store_.purge_freed_space(tables_holding_subjects(spec));
  return outcome;
}

BulkResult CommandHandler::bulk_update_assignments(const CommandContext& context,
                                                   const std::vector<BulkAssignmentItem>& items) {
  const EntitySpec& spec = events::entity("resource_assignment");
  BulkResult result;
  for (const auto& item : items) {
    Outcome outcome;
    if (!is_uuid(item.id)) {
      outcome = Outcome::missing("resource_assignment " + item.id + " does not exist");
    } else if (!item.shape_errors.empty()) {
      auto refused = refusal_before_validation(context.actor, spec, item.id, false);
      outcome = refused ? std::move(*refused) : Outcome::invalid(item.shape_errors);
    } else {
      outcome = update(context, UpdateEntity{&spec, item.id, item.version, item.fields});
    }
    if (outcome.ok()) {
      result.succeeded.push_back({item.id, outcome.entity.version});
      continue;
    }
    std::optional<EntityState> now;
    if (outcome.kind == Outcome::Kind::conflict) {
      now = outcome.conflict.current_state;
    } else if (outcome.kind != Outcome::Kind::not_found) {
      store_.transact(store::Access::read_only, [&](Transaction& tx) {
        auto state = projections::load_entity(tx, spec, item.id);
        if (state && state->exists() && can_read(context.actor, scope_of(tx, spec, *state))) {
          now = std::move(state);
        }
        return Verdict::commit;
      });
    }
    result.failed.push_back({item.id, std::move(outcome), std::move(now)});
  }
  return result;
}

}  // namespace folio::commands
