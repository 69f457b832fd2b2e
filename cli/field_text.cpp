#include "cli/field_text.h"

#include <boost/json.hpp>

#include "http/entity_json.h"

namespace folio::cli {

std::string field_text(const events::FieldValue& value) {
  return events::is_null(value) ? "-" : boost::json::serialize(http::field_value_to_json(value));
}

}  // namespace folio::cli
