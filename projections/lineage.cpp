#include "projections/lineage.h"

#include <algorithm>

namespace folio::projections {

bool has_lineage(const EntitySpec& spec, std::string_view field) {
  return std::any_of(spec.fields.begin(), spec.fields.end(), [&](const events::FieldSpec& f) {
    return f.name == field && f.kind != events::FieldKind::password;
  });
}

std::vector<LineageEntry> field_lineage(const std::vector<HistoryEntry>& history,
                                        const std::string& field, const std::string& as_of) {
  std::vector<LineageEntry> lineage;
  for (const auto& entry : history) {
    if (!as_of.empty() && entry.recorded_at > as_of) continue;  // same fixed format, all UTC
    const auto change = entry.changes.find(field);
    if (change == entry.changes.end()) continue;
    lineage.push_back({entry.version, entry.event_type, entry.recorded_at, entry.user_id,
                       entry.request_id, change->second.to});
  }
  return lineage;
}

}  // namespace folio::projections
