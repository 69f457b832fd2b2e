// The commands of Folio: create, update and delete of any entity type, and the bulk update
// of resource assignments. Named in the imperative, as the events they lead to are named
// in the past tense.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/access.h"
#include "commands/outcome.h"

namespace folio::commands {

// Who acts, and the ids recorded on every event of the command.
struct CommandContext {
  Actor actor;
  std::string request_id;
  std::string command_id;  // optional idempotency key
};

struct CreateEntity {
  const events::EntitySpec* spec = nullptr;
  std::string id;                       // client-supplied id, or empty for a new one
  std::optional<std::int64_t> version;  // must be absent or 1
  FieldMap fields;                      // as sent; validated by the handler
};

struct UpdateEntity {
  const events::EntitySpec* spec = nullptr;
  std::string id;
  std::optional<std::int64_t> expected_version;  // required: the version last seen
  FieldMap fields;                               // only these change
  // Prefer: merge=disjoint (docs/api.md): a stale expected_version is accepted when none of
  // `fields` changed since it (and every rule holds on the result), instead of a conflict.
  bool merge_disjoint = false;
};

struct DeleteEntity {
  const events::EntitySpec* spec = nullptr;
  std::string id;
  std::optional<std::int64_t> expected_version;  // required
};

// Erasure of a data subject's personal values (users and workers; admins only):
// docs/personal-data.md.
struct EraseSubject {
  const events::EntitySpec* spec = nullptr;
  std::string id;
  std::string reason;  // required, at most 1000 characters; recorded in the Erased event
};

struct BulkAssignmentItem {
  std::string id;
  std::optional<std::int64_t> version;
  FieldMap fields;  // capital_percentage and/or expense_percentage
  // Problems found while reading the item (a wrongly typed field or version): the item fails
  // with them (after the 404 and 403 checks, API.md's order), and no other item does.
  std::vector<FieldError> shape_errors;
};

struct BulkResult {
  struct Succeeded {
    std::string id;
    std::int64_t version = 0;
  };
  struct Failed {
    std::string id;
    Outcome outcome;  // why (validation, conflict, constraint, not_found, forbidden)
    std::optional<EntityState> current_state;  // the entity now; nullopt if not readable
  };
  std::vector<Succeeded> succeeded;
  std::vector<Failed> failed;
};

}  // namespace folio::commands
