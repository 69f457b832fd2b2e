#include "commands/outcome.h"

namespace folio::commands {

Outcome Outcome::success(EntityState entity, bool created) {
  Outcome o;
  o.entity = std::move(entity);
  o.created = created;
  return o;
}

Outcome Outcome::invalid(std::vector<FieldError> errors) {
  Outcome o;
  o.kind = Kind::validation;
  o.errors = std::move(errors);
  return o;
}

Outcome Outcome::invalid(std::string field, std::string message) {
  return invalid(std::vector<FieldError>{{std::move(field), std::move(message)}});
}

Outcome Outcome::violated(ConstraintInfo info) {
  Outcome o;
  o.kind = Kind::constraint;
  o.constraint = std::move(info);
  return o;
}

Outcome Outcome::missing(std::string message) {
  Outcome o;
  o.kind = Kind::not_found;
  o.message = std::move(message);
  return o;
}

Outcome Outcome::refused(std::string message) {
  Outcome o;
  o.kind = Kind::forbidden;
  o.message = std::move(message);
  return o;
}

std::string_view error_code(Outcome::Kind kind) {
  switch (kind) {
    case Outcome::Kind::ok: return "ok";
    case Outcome::Kind::validation: return "validation";
    case Outcome::Kind::conflict: return "conflict";
    case Outcome::Kind::constraint: return "constraint";
    case Outcome::Kind::not_found: return "not_found";
    case Outcome::Kind::forbidden: return "forbidden";
  }
  return "internal";
}

}  // namespace folio::commands
