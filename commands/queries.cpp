#include "commands/queries.h"

#include "commands/actor_and_entity_read.h"
#include "projections/fold.h"

namespace folio::commands {

namespace {

using store::Transaction;
using store::Verdict;

Outcome not_found(const events::EntitySpec& spec, const std::string& id) {
  return Outcome::missing(std::string(spec.type) + " " + id + " does not exist");
}

bool admin_only_refused(const Actor& actor, const events::EntitySpec& spec) {
  return spec.scope == events::ScopeKind::admin_only && !actor.is_admin();
}

// get_with_token's outcome from what its statement read.
Outcome token_read_outcome(const events::EntitySpec& spec, const std::string& id,
                           ActorAndEntity& loaded, std::optional<Actor>& actor) {
  actor = std::move(loaded.actor);
  if (!actor) return not_found(spec, id);
  if (admin_only_refused(*actor, spec)) return Outcome::refused("only admins may read these");
  auto& entity = loaded.loaded.entity;
  if (!entity || !entity->exists() ||
      !can_read(*actor, scope_of(spec, *entity, loaded.loaded.program_of_project))) {
    return not_found(spec, id);
  }
  return Outcome::success(std::move(*entity), false);
}

void check_filters(const events::EntitySpec& spec, const projections::ListQuery& query) {
  const auto& filters = projections::read_model_sql(spec).list_filters;
  for (const auto& [name, value] : query.filters) {
    if (std::find(filters.begin(), filters.end(), name) == filters.end()) {
      throw std::invalid_argument("cannot filter " + std::string(spec.collection) + " by " + name);
    }
  }
}

// The state of entity `id` from its events recorded at or before `as_of`.
projections::EntityState state_as_of(Transaction& tx, const events::EntitySpec& spec,
                                     const std::string& id, const std::string& as_of) {
  auto events = tx.read_stream(projections::stream_id_of(spec, id));
  const auto later = std::find_if(events.begin(), events.end(),
                                  [&](const auto& e) { return e.recorded_at > as_of; });
  events.erase(later, events.end());
  return projections::fold(spec, id, events);
}

}  // namespace

Outcome EntityQueries::get(const Actor& actor, const events::EntitySpec& spec,
                           const std::string& id, std::optional<std::int64_t> at_version) {
  if (admin_only_refused(actor, spec)) return Outcome::refused("only admins may read these");
  Outcome outcome = not_found(spec, id);
  // The current row needs no transaction: its scope lookup (a project's program) may see a
  // newer commit without harm. A past version reads the row and the stream in one snapshot.
  const auto access = at_version ? store::Access::read_only : store::Access::read_statement;
  store_.transact(access, [&](Transaction& tx) {
    const auto current = projections::load_entity(tx, spec, id);
    if (!current || !can_read(actor, scope_of(tx, spec, *current))) return Verdict::commit;
    if (!at_version) {
      if (current->exists()) outcome = Outcome::success(*current, false);
      return Verdict::commit;
    }
    if (*at_version < 1 || *at_version > current->version) return Verdict::commit;
    const auto events = tx.read_stream(projections::stream_id_of(spec, id), 1, *at_version);
    const auto state = projections::fold(spec, id, events);
    if (state.exists()) outcome = Outcome::success(state, false);
    return Verdict::commit;
  });
  return outcome;
}

Outcome EntityQueries::get_with_token(const TokenCheck& token, const events::EntitySpec& spec,
                                      const std::string& id, std::optional<Actor>& actor) {
  ActorAndEntity loaded;
  store_.transact(store::Access::read_statement, [&](Transaction& tx) {
    loaded = load_actor_and_entity(tx, token, spec, id);
    return Verdict::commit;
  });
  return token_read_outcome(spec, id, loaded, actor);
}

void EntityQueries::get_with_token(store::StatementPipe& pipe, TokenCheck token,
                                   const events::EntitySpec& spec, std::string id,
                                   std::function<void(TokenRead*)> done) {
  read_through_pipe(pipe, std::move(token), spec, id,
                    [&spec, id, done = std::move(done)](ActorAndEntityRead* read) {
                      if (!read) return done(nullptr);
                      TokenRead answer;
                      answer.outcome = token_read_outcome(spec, id, read->result(), answer.actor);
                      done(&answer);
                    });
}

Outcome EntityQueries::list(const Actor& actor, const events::EntitySpec& spec,
                            const projections::ListQuery& query, ListPage& page) {
  if (admin_only_refused(actor, spec)) return Outcome::refused("only admins may read these");
  check_filters(spec, query);
  page = {};
  store_.transact(store::Access::read_only, [&](Transaction& tx) {
    const auto rows = projections::list_entities(tx, spec, query);
    for (const auto& row : rows) {
      if (can_read(actor, scope_of(tx, spec, row))) page.items.push_back(row);
    }
    // A full page (before filtering by access) may have more behind it.
    if (rows.size() == query.limit && !rows.empty()) page.next_cursor = rows.back().id;
    return Verdict::commit;
  });
  return Outcome::success({}, false);
}

Outcome EntityQueries::list_as_of(const Actor& actor, const events::EntitySpec& spec,
                                  const projections::ListQuery& query, const std::string& as_of,
                                  ListPage& page) {
  if (admin_only_refused(actor, spec)) return Outcome::refused("only admins may read these");
  check_filters(spec, query);
  constexpr std::int64_t kBatch = 200;
  const auto& sql = projections::read_model_sql(spec);
  store_.transact(store::Access::read_only, [&](Transaction& tx) {
    page = {};
    std::string after = query.after_id;
    while (true) {
      const std::vector<store::SqlValue> params{as_of, after, kBatch};
      const auto rows = tx.query(sql.created_by.c_str(), params);
      for (const auto& row : rows) {
        after = std::get<std::string>(row[0]);
        auto state = state_as_of(tx, spec, after, as_of);
        if (!state.exists()) continue;
        const bool matches =
            std::all_of(query.filters.begin(), query.filters.end(), [&](const auto& f) {
              return projections::text_field(state.fields, f.first) == f.second;
            });
        const auto current = projections::load_entity(tx, spec, after);
        if (!matches || !current || !can_read(actor, scope_of(tx, spec, *current))) continue;
        page.items.push_back(std::move(state));
        if (page.items.size() == query.limit) {
          page.next_cursor = after;
          return Verdict::commit;
        }
      }
      if (static_cast<std::int64_t>(rows.size()) < kBatch) return Verdict::commit;
    }
  });
  return Outcome::success({}, false);
}

Outcome EntityQueries::history(const Actor& actor, const events::EntitySpec& spec,
                               const std::string& id,
                               std::vector<projections::HistoryEntry>& entries) {
  if (admin_only_refused(actor, spec)) return Outcome::refused("only admins may read these");
  Outcome outcome = not_found(spec, id);
  store_.transact(store::Access::read_only, [&](Transaction& tx) {
    const auto current = projections::load_entity(tx, spec, id);
    if (!current || !can_read(actor, scope_of(tx, spec, *current))) return Verdict::commit;
    entries = projections::history(spec, tx.read_stream(projections::stream_id_of(spec, id)));
    outcome = Outcome::success(*current, false);
    return Verdict::commit;
  });
  return outcome;
}

}  // namespace folio::commands
