// How the command-line tools print a field's value in their text output.
#pragma once

#include <string>

#include "events/field_value.h"

namespace folio::cli {

// The value as JSON (what the API would answer), or "-" for none.
std::string field_text(const events::FieldValue& value);

}  // namespace folio::cli
