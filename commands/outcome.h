// What a command handler answers. Expected outcomes are values; only the unexpected
// (a lost database, a bug) is an exception.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projections/entity_state.h"
#include "projections/fold.h"

namespace folio::commands {

using projections::EntityState;
using projections::FieldMap;

struct FieldError {
  std::string field;  // "" for errors about the request as a whole
  std::string message;
  bool operator==(const FieldError&) const = default;
};

struct ConflictInfo {
  std::string entity_type;
  std::string entity_id;
  std::int64_t expected_version = 0;
  std::int64_t current_version = 0;
  std::optional<EntityState> current_state;  // nullopt: the entity is deleted
  FieldMap attempted_changes;                // without write-only fields (passwords)
  std::vector<projections::HistoryEntry> changes_since;
};

struct ConstraintInfo {
  std::string rule;     // machine name, e.g. "unique_name", "resource_capacity"
  std::string message;  // plain language
  std::string other_entity_type;
  std::string other_entity_id;
};

struct Outcome {
  enum class Kind { ok, validation, conflict, constraint, not_found, forbidden };
  Kind kind = Kind::ok;
  EntityState entity;    // ok: the entity after the command (deleted ones: deleted=true)
  bool created = false;  // ok: a new entity was created (HTTP 201)
  // ok: the versions an update with merge_disjoint was applied over (empty: none, the
  // version it carried was the current one).
  std::vector<std::int64_t> merged_over;
  std::vector<FieldError> errors;  // validation
  ConflictInfo conflict;           // conflict
  ConstraintInfo constraint;       // constraint
  std::string message;             // not_found, forbidden: plain language

  bool ok() const { return kind == Kind::ok; }

  static Outcome success(EntityState entity, bool created);
  static Outcome invalid(std::vector<FieldError> errors);
  static Outcome invalid(std::string field, std::string message);
  static Outcome violated(ConstraintInfo info);
  static Outcome missing(std::string message);
  static Outcome refused(std::string message);
};

// The machine name of each kind as used in API.md ("conflict", "validation", ...).
std::string_view error_code(Outcome::Kind kind);

}  // namespace folio::commands
