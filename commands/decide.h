// Deciding events from commands: pure functions of the current state and the request,
// unit-tested without a database.
#pragma once

#include "events/envelope.h"
#include "projections/entity_state.h"

namespace folio::commands {

using events::EntitySpec;
using projections::EntityState;
using projections::FieldMap;

// <Prefix>Created carrying every field of the new entity (write-only fields excluded).
events::NewEvent decide_create(const EntitySpec& spec, const FieldMap& fields);

// The fields of `requested` whose value differs from `current` (a null in `requested`
// clears an optional field, so it differs when the field is set). Write-only fields are
// never included.
FieldMap changed_fields(const EntitySpec& spec, const FieldMap& current,
                        const FieldMap& requested);

// <Prefix>Updated carrying `changes` (possibly none: an edit that changes nothing is still
// recorded and still bumps the version).
events::NewEvent decide_update(const EntitySpec& spec, const FieldMap& changes);

// <Prefix>Deleted.
events::NewEvent decide_delete(const EntitySpec& spec);

// <Prefix>Erased: every personal field `current` holds becomes events::kErasedMarker, a user
// is deactivated, and the reason is recorded as "erasure_reason" (not an entity field; shown
// in history, changes and the event feed). Carries no personal value.
events::NewEvent decide_erase(const EntitySpec& spec, const FieldMap& current,
                              const std::string& reason);

// The state after `event` is recorded at `recorded_at` with the next version: the same
// fold the projections use, so the read model written now equals a later replay.
EntityState state_after(const EntitySpec& spec, const EntityState& current,
                        const events::NewEvent& event, const std::string& recorded_at);

}  // namespace folio::commands
