#include "cli/outcome_text.h"

namespace folio::cli {

std::string describe_field_errors(const std::vector<commands::FieldError>& errors) {
  std::string text;
  for (const auto& e : errors) {
    if (!text.empty()) text += "; ";
    text += e.field.empty() ? e.message : e.field + ": " + e.message;
  }
  return text;
}

std::string refusal_text(const commands::Outcome& outcome) {
  using Kind = commands::Outcome::Kind;
  switch (outcome.kind) {
    case Kind::validation:
      return describe_field_errors(outcome.errors);
    case Kind::constraint:
      return outcome.constraint.message + (outcome.constraint.other_entity_id.empty()
                                               ? ""
                                               : " (" + outcome.constraint.other_entity_type + " " +
                                                     outcome.constraint.other_entity_id + ")");
    case Kind::conflict:
      return "changed concurrently (version " + std::to_string(outcome.conflict.current_version) +
             ")";
    default:
      return outcome.message;
  }
}

}  // namespace folio::cli
