#include "projections/entity_state.h"

#include "projections/money.h"

namespace folio::projections {

std::string stream_id_of(const EntitySpec& spec, const std::string& id) {
  return std::string(spec.type) + "-" + id;
}

std::string created_event(const EntitySpec& spec) {
  return std::string(spec.event_prefix) + "Created";
}
std::string updated_event(const EntitySpec& spec) {
  return std::string(spec.event_prefix) + "Updated";
}
std::string deleted_event(const EntitySpec& spec) {
  return std::string(spec.event_prefix) + "Deleted";
}

std::string erased_event(const EntitySpec& spec) {
  return std::string(spec.event_prefix) + "Erased";
}

std::string text_field(const FieldMap& fields, std::string_view name) {
  const auto it = fields.find(name);
  const auto* s = it == fields.end() ? nullptr : std::get_if<std::string>(&it->second);
  return s ? *s : "";
}

std::int64_t int_field(const FieldMap& fields, std::string_view name) {
  const auto it = fields.find(name);
  const auto* n = it == fields.end() ? nullptr : std::get_if<std::int64_t>(&it->second);
  return n ? *n : 0;
}

void update_derived_fields(const EntitySpec& spec, FieldMap& fields) {
  if (spec.type != "project_phase") return;
  // Absent budgets count as zero: a fold that starts inside a stream (history_since) may
  // not have seen them yet.
  const auto capital = parse_money(text_field(fields, "capital_budget"));
  const auto expense = parse_money(text_field(fields, "expense_budget"));
  fields["total_budget"] = format_money(capital.value_or(0) + expense.value_or(0));
}

}  // namespace folio::projections
