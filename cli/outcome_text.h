// How the command-line tools describe a command the store refused, in one line of text.
#pragma once

#include <string>
#include <vector>

#include "commands/outcome.h"

namespace folio::cli {

// "field: message; field: message" (a message alone when it is about the row as a whole).
std::string describe_field_errors(const std::vector<commands::FieldError>& errors);

// Why `outcome` was refused: its field errors, the rule it broke (with the other entity),
// the version it conflicted with, or its message.
std::string refusal_text(const commands::Outcome& outcome);

}  // namespace folio::cli
