// Reads, with the same access rules as the commands: single entities (now or at a past
// version), keyset-paginated lists and histories.
#pragma once

#include <functional>
#include <optional>

#include "commands/access.h"
#include "commands/outcome.h"
#include "projections/read_model.h"
#include "store/event_store.h"
#include "store/statement_pipe.h"

namespace folio::commands {

struct ListPage {
  std::vector<EntityState> items;
  std::string next_cursor;  // empty: this was the last page
};

class EntityQueries {
 public:
  explicit EntityQueries(store::EventStore& store) : store_(store) {}

  // The entity now, or as of `at_version` (folded from its events). not_found when it never
  // existed, is deleted (now), `at_version` is beyond its history, or the actor may not
  // read it; forbidden for admin-only types and non-admins.
  Outcome get(const Actor& actor, const events::EntitySpec& spec, const std::string& id,
              std::optional<std::int64_t> at_version = std::nullopt);

  // get() of the current entity and the authentication of its reader in one statement
  // (one round trip on PostgreSQL): `actor` is set to the token's actor, or nullopt when
  // the token is not valid (then the outcome says nothing about the entity). For the
  // types that are not admin-only.
  Outcome get_with_token(const TokenCheck& token, const events::EntitySpec& spec,
                         const std::string& id, std::optional<Actor>& actor);

  // get_with_token's answer.
  struct TokenRead {
    Outcome outcome;
    std::optional<Actor> actor;
  };
  // get_with_token with its statements sent through `pipe` (which must outlive the read):
  // `done` runs later, on the pipe's thread, with the answer, or with nullptr when the pipe
  // could not carry the read (then call get_with_token, which meets the same failure).
  static void get_with_token(store::StatementPipe& pipe, TokenCheck token,
                             const events::EntitySpec& spec, std::string id,
                             std::function<void(TokenRead*)> done);

  // Live entities the actor may read, ordered by id, `query.limit` at most per page.
  // Throws std::invalid_argument for an unknown filter field.
  Outcome list(const Actor& actor, const events::EntitySpec& spec,
               const projections::ListQuery& query, ListPage& page);

  // list() of the collection as it stood at `as_of` (a timestamp as events have them, see
  // events::format_timestamp): the entities that existed then, each folded from its events
  // recorded up to then, filtered by those states' references. Access as for history():
  // by where each entity sits now. Folds every entity created by then up to a full page, so
  // it costs what the collection's history costs: an audit tool, not a hot path.
  Outcome list_as_of(const Actor& actor, const events::EntitySpec& spec,
                     const projections::ListQuery& query, const std::string& as_of, ListPage& page);

  // Every event of the entity with its field changes, oldest first (deleted ones too).
  Outcome history(const Actor& actor, const events::EntitySpec& spec, const std::string& id,
                  std::vector<projections::HistoryEntry>& entries);

 private:
  store::EventStore& store_;
};

}  // namespace folio::commands
