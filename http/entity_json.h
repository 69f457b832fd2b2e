// JSON at the HTTP edge: entities and histories to JSON, request bodies to field maps.
#pragma once

#include <boost/json.hpp>
#include <vector>

#include "commands/outcome.h"
#include "projections/lineage.h"

namespace folio::http {

// {"id","version","created_at","updated_at", then every field of the spec (null when
// unset), derived fields included, write-only fields never}.
// `storage`: where the JSON lives (a JsonArena's for an answer built and sent at once).
boost::json::object entity_to_json(const events::EntitySpec& spec,
                                   const commands::EntityState& state,
                                   boost::json::storage_ptr storage = {});

boost::json::value field_value_to_json(const events::FieldValue& value,
                                       boost::json::storage_ptr storage = {});

// {"version","event_type","recorded_at","user_id","changes":{field:{"from","to"}}}
boost::json::object history_entry_to_json(const projections::HistoryEntry& entry,
                                          boost::json::storage_ptr storage = {});
// {"version","value","event_type","recorded_at","user_id","request_id"}: a field's value
// and the event that set it (GET .../{id}/lineage).
boost::json::object lineage_entry_to_json(const projections::LineageEntry& entry);

// Converts the members of a JSON object to entity fields, skipping `skip` names. Members
// whose JSON type can never be a field value (arrays, objects) are reported in `errors`.
commands::FieldMap json_to_fields(const boost::json::object& object,
                                  std::initializer_list<std::string_view> skip,
                                  std::vector<commands::FieldError>& errors);

}  // namespace folio::http
