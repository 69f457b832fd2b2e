// Field validation derived from the entity descriptions: types, lengths, formats, ranges,
// required fields and defaults, and the rules inside one entity. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commands/outcome.h"

namespace folio::commands {

enum class ValidationMode { create, update };

struct ValidatedFields {
  FieldMap fields;  // normalized: trimmed text, lower-case ids; on create, defaults added.
                    // On update a null value means "clear this optional field".
  std::vector<FieldError> errors;
};

// Checks each field the client sent against `spec`. Every problem is reported, not only
// the first. Unknown and read-only fields are errors.
ValidatedFields validate_fields(const events::EntitySpec& spec, const FieldMap& input,
                                ValidationMode mode);

// Rules within one entity on its complete state after the command (date order,
// capital + expense <= 100, the shape of a scope assignment, actual amounts adding up).
std::vector<FieldError> check_entity_rules(const events::EntitySpec& spec,
                                           const FieldMap& state);

// Lower-case, hyphenated UUID.
bool is_uuid(std::string_view text);
// A new random, time-ordered id (UUID version 7), so keyset pages follow creation order.
std::string new_id();
// "YYYY-MM-DD" naming a real calendar day.
bool is_date(std::string_view text);
// Number of characters (code points), or -1 if `text` is not valid UTF-8.
long utf8_length(std::string_view text);

}  // namespace folio::commands
