// The state of one entity: what its read-model row holds and what folding its events gives.
#pragma once

#include <cstdint>
#include <string>

#include "events/entity_catalog.h"
#include "events/field_value.h"

namespace folio::projections {

using events::EntitySpec;
using events::FieldMap;
using events::FieldValue;

struct EntityState {
  std::string id;
  std::int64_t version = 0;  // 0: the entity does not exist
  std::string created_at;
  std::string updated_at;
  bool deleted = false;
  FieldMap fields;  // every field of the spec except write-only ones, plus derived ones

  bool exists() const { return version > 0 && !deleted; }
  bool operator==(const EntityState&) const = default;
};

// "<entity_type>-<id>"
std::string stream_id_of(const EntitySpec& spec, const std::string& id);

// Event type names: "<Prefix>Created", "<Prefix>Updated", "<Prefix>Deleted", and
// "<Prefix>Erased" (a data subject's personal values erased: docs/personal-data.md).
std::string created_event(const EntitySpec& spec);
std::string updated_event(const EntitySpec& spec);
std::string deleted_event(const EntitySpec& spec);
std::string erased_event(const EntitySpec& spec);

// The text (or integer) value of field `name`; "" (or 0) when it is absent or of another
// type. For reading states and requests that validation has already typed.
std::string text_field(const FieldMap& fields, std::string_view name);
std::int64_t int_field(const FieldMap& fields, std::string_view name);

// Recomputes read-only derived fields (ProjectPhase.total_budget) from the others.
void update_derived_fields(const EntitySpec& spec, FieldMap& fields);

}  // namespace folio::projections
