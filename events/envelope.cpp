#include "events/envelope.h"

namespace folio::events {

std::string entity_type_of_stream(const std::string& stream_id) {
  const auto dash = stream_id.find('-');
  return dash == std::string::npos ? std::string() : stream_id.substr(0, dash);
}

}  // namespace folio::events
