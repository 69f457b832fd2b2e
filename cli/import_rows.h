// The rows of an import file (`folio import`): one JSON object per line, either
//   {"entity_type": "project", "id": "<uuid>", "name": "...", ...}   (a row: fields inline)
// or a creation event as `folio export` writes it
//   {"entity_type": "project", "entity_id": "<uuid>", "version": 1,
//    "event_type": "ProjectCreated", "data": {...}, ...}
// so that an export of version-1 data imports again. Blank lines are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/entity_catalog.h"
#include "commands/outcome.h"
#include "events/field_value.h"

namespace folio::cli {

struct ImportRow {
  std::size_t line = 0;  // 1-based line number in the file
  const events::EntitySpec* spec = nullptr;
  std::string id;
  events::FieldMap fields;  // as given; the command handler validates and normalizes
  // A user row without a password (exports never carry one) gets a long random password
  // nobody knows: the user exists, with its roles, but cannot log in until an admin sets a
  // password.
  bool locked_user = false;
};

struct ImportLineError {
  std::size_t line = 0;
  std::string message;
};

// Parses one line and checks what can be checked without the store: JSON, entity type, id,
// and the fields against the entity's description (types, lengths, required fields, rules
// within the entity). Nothing is written.
std::variant<ImportRow, ImportLineError> parse_import_line(std::string_view text,
                                                           std::size_t line);

// Entity types ordered so that every type comes after the types it refers to, so an import
// file need not list parents before children.
std::vector<const events::EntitySpec*> types_in_reference_order();

}  // namespace folio::cli
