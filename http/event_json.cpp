#include "http/event_json.h"

#include <stdexcept>

#include "events/entity_catalog.h"
#include "http/entity_json.h"
#include "projections/fold.h"

namespace folio::http {

boost::json::object event_to_json(const events::RecordedEvent& event) {
  const std::string type = events::entity_type_of_stream(event.stream_id);
  const events::EntitySpec* spec = events::find_entity_by_type(type);
  if (spec == nullptr) {
    throw std::runtime_error("event at position " + std::to_string(event.global_position) +
                             " belongs to stream '" + event.stream_id +
                             "' of no known entity type");
  }
  boost::json::object data;
  for (const auto& [name, value] : projections::event_fields(*spec, event)) {
    data[name] = field_value_to_json(value);
  }
  boost::json::object out;
  out.reserve(12);
  out["position"] = event.global_position;
  out["stream_id"] = event.stream_id;
  out["entity_type"] = type;
  out["entity_id"] = event.stream_id.substr(type.size() + 1);
  out["version"] = event.stream_version;
  out["event_type"] = event.event_type;
  out["schema_version"] = event.schema_version;
  out["recorded_at"] = event.recorded_at;
  out["user_id"] = event.metadata.user_id;
  out["request_id"] = event.metadata.request_id;
  out["command_id"] = event.metadata.command_id;
  out["data"] = std::move(data);
  return out;
}

boost::json::object change_to_json(const commands::Change& change) {
  const auto& event = change.event;
  const std::string type = events::entity_type_of_stream(event.stream_id);
  boost::json::object item{{"position", event.global_position},
                           {"entity_type", type},
                           {"entity_id", event.stream_id.substr(type.size() + 1)}};
  for (auto& member : history_entry_to_json(change.entry)) item.insert(std::move(member));
  item["request_id"] = event.metadata.request_id;
  return item;
}

}  // namespace folio::http
