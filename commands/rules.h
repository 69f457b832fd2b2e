// Rules across entities, checked inside the command's transaction. Each takes the lock
// (store::Transaction::lock_key) on exactly the key concurrent writers contend for before
// reading what it checks, so that two writers cannot both pass a check that only one may.
// Unique values are guarded by partial unique indexes as well (store::UniqueViolation).
#pragma once

#include <optional>

#include "commands/outcome.h"
#include "store/event_store.h"

namespace folio::commands {

using events::EntitySpec;

// References exist and are not deleted (422), dates lie inside the parent's (422).
// Locks each referenced entity's key shared, so it cannot be deleted until this commits.
std::optional<Outcome> check_references(store::Transaction& tx, const EntitySpec& spec,
                                        const EntityState& state);

// Unique values, sibling overlaps, resource capacity, a worker's daily allocation (409).
std::optional<Outcome> check_collisions(store::Transaction& tx, const EntitySpec& spec,
                                        const EntityState& state);

// A parent's new dates must still contain its children's (a project's phases, assignments
// and actuals; DOMAIN.md "date inside the project's dates"): 409 naming the first child
// left outside. Only when `after` changes the parent's dates; then it locks the parent's
// key exclusively, so no child can be created or moved (they lock it shared) meanwhile.
std::optional<Outcome> check_children_inside_dates(store::Transaction& tx, const EntitySpec& spec,
                                                   const EntityState& before,
                                                   const EntityState& after);

// Delete refused while live entities refer to this one (409). Locks the entity's key.
std::optional<Outcome> check_no_children(store::Transaction& tx, const EntitySpec& spec,
                                         const std::string& id);

// Actuals: computes actual_cost from the active rate when `requested` omits it, and the
// capital/expense split when both are omitted (DOMAIN.md). Fills `fields` in place.
std::optional<Outcome> complete_actual(store::Transaction& tx, projections::FieldMap& fields,
                                       const projections::FieldMap& requested);

// The key a transaction locks to change entity `id` (shared for referrers).
std::string entity_lock_key(const std::string& id);

}  // namespace folio::commands
