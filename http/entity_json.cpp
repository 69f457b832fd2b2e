#include "http/entity_json.h"

#include <algorithm>

namespace folio::http {

namespace json = boost::json;

json::value field_value_to_json(const events::FieldValue& value, json::storage_ptr storage) {
  if (const auto* b = std::get_if<bool>(&value)) return json::value(*b, std::move(storage));
  if (const auto* n = std::get_if<std::int64_t>(&value)) return json::value(*n, std::move(storage));
  if (const auto* d = std::get_if<double>(&value)) return json::value(*d, std::move(storage));
  if (const auto* s = std::get_if<std::string>(&value)) {
    return json::string(*s, std::move(storage));
  }
  return json::value(nullptr, std::move(storage));
}

json::object entity_to_json(const events::EntitySpec& spec, const commands::EntityState& state,
                            json::storage_ptr storage) {
  json::object out(storage);
  out.reserve(spec.fields.size() + 6);
  out["id"] = state.id;
  out["version"] = state.version;
  out["created_at"] = state.created_at;
  out["updated_at"] = state.updated_at;
  for (const auto& field : spec.fields) {
    if (field.kind == events::FieldKind::password) continue;
    const auto it = state.fields.find(field.name);
    out[field.name] = it == state.fields.end() ? json::value(nullptr, storage)
                                               : field_value_to_json(it->second, storage);
  }
  for (auto derived : events::derived_fields(spec.type)) {
    const auto it = state.fields.find(derived);
    out[derived] = it == state.fields.end() ? json::value(nullptr, storage)
                                            : field_value_to_json(it->second, storage);
  }
  return out;
}

json::object history_entry_to_json(const projections::HistoryEntry& entry,
                                   json::storage_ptr storage) {
  json::object changes(storage);
  for (const auto& [name, change] : entry.changes) {
    changes[name] = json::object({{"from", field_value_to_json(change.from, storage)},
                                  {"to", field_value_to_json(change.to, storage)}},
                                 storage);
  }
  return json::object({{"version", entry.version},
                       {"event_type", entry.event_type},
                       {"recorded_at", entry.recorded_at},
                       {"user_id", entry.user_id.empty() ? json::value(nullptr)
                                                         : json::value(entry.user_id, storage)},
                       {"changes", std::move(changes)}},
                      storage);
}

json::object lineage_entry_to_json(const projections::LineageEntry& entry) {
  return json::object{
      {"version", entry.version},
      {"value", field_value_to_json(entry.value)},
      {"event_type", entry.event_type},
      {"recorded_at", entry.recorded_at},
      {"user_id", entry.user_id.empty() ? json::value(nullptr) : json::value(entry.user_id)},
      {"request_id", entry.request_id}};
}

commands::FieldMap json_to_fields(const json::object& object,
                                  std::initializer_list<std::string_view> skip,
                                  std::vector<commands::FieldError>& errors) {
  commands::FieldMap fields;
  for (const auto& member : object) {
    const std::string name(member.key());
    if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    const json::value& v = member.value();
    switch (v.kind()) {
      case json::kind::null: fields.emplace(name, std::monostate{}); break;
      case json::kind::bool_: fields.emplace(name, v.get_bool()); break;
      case json::kind::int64: fields.emplace(name, v.get_int64()); break;
      case json::kind::uint64: fields.emplace(name, static_cast<double>(v.get_uint64())); break;
      case json::kind::double_: fields.emplace(name, v.get_double()); break;
      case json::kind::string: fields.emplace(name, std::string(v.get_string())); break;
      case json::kind::array:
      case json::kind::object:
        errors.push_back({name, "must not be an array or object"});
        break;
    }
  }
  return fields;
}

}  // namespace folio::http
