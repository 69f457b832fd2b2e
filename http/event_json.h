// Events as JSON for auditors and other systems (`folio export`, the event feed): the envelope
// with the payload decoded into the fields the event set.
#pragma once

#include <boost/json.hpp>

#include "commands/event_feed.h"
#include "events/envelope.h"

namespace folio::http {

// {"position","stream_id","entity_type","entity_id","version","event_type",
//  "schema_version","recorded_at","user_id","request_id","command_id","data":{field:value}}
// "data" is {} for a deletion. Throws events::PayloadDecodeError when the payload does not
// decode, std::runtime_error when the stream is not one of a catalog entity type.
boost::json::object event_to_json(const events::RecordedEvent& event);

// {"position","entity_type","entity_id","version","event_type","recorded_at","user_id",
//  "changes":{field:{"from","to"}},"request_id"}: an event with what it changed, for audits
// (GET /api/v1/changes, `folio changes --json`).
boost::json::object change_to_json(const commands::Change& change);

}  // namespace folio::http
