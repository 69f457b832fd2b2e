// Field lineage: every value one field of an entity has held, with the event that set it
// (`folio lineage`, GET /api/v1/{collection}/{id}/lineage?field=F). The auditor's "who set
// this budget to this amount, and when", taken from the entity's history.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "projections/fold.h"

namespace folio::projections {

struct LineageEntry {
  std::int64_t version = 0;
  std::string event_type;
  std::string recorded_at;
  std::string user_id;
  std::string request_id;
  FieldValue value;  // what the event set the field to (null: cleared)
};

// Whether `field` of `spec` has a lineage: a field the events record (a password is never
// in an event).
bool has_lineage(const EntitySpec& spec, std::string_view field);

// One entry per event that set `field`: the creation, then each update that changed it,
// oldest first; only events recorded at or before `as_of` when it is not empty (a
// timestamp as events have them: the value then is the last entry).
std::vector<LineageEntry> field_lineage(const std::vector<HistoryEntry>& history,
                                        const std::string& field, const std::string& as_of);

}  // namespace folio::projections
