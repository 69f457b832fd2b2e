#include "events/entity_catalog.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace folio::events {

namespace {

using K = FieldKind;

constexpr std::string_view kResourceTypes[] = {"labor", "non_labor"};
constexpr std::string_view kRoleTypes[] = {"admin",           "program_manager",
                                           "project_manager", "finance_manager",
                                           "resource_manager", "viewer"};
constexpr std::string_view kScopeTypes[] = {"global", "program", "project"};
constexpr std::string_view kPhaseDerived[] = {"total_budget"};

FieldSpec text(std::string_view name, int max_length, bool required = true) {
  return {.name = name, .kind = K::text, .required = required, .max_length = max_length};
}
FieldSpec unique_text(std::string_view name, int max_length) {
  FieldSpec f = text(name, max_length);
  f.unique = true;
  return f;
}
FieldSpec ref(std::string_view name, std::string_view target, bool required = true,
              bool fixed = false) {
  return {.name = name, .kind = K::reference, .required = required, .references = target,
          .fixed = fixed};
}
FieldSpec date(std::string_view name, bool required = true, bool fixed = false) {
  return {.name = name, .kind = K::date, .required = required, .fixed = fixed};
}
FieldSpec money(std::string_view name, std::string_view default_value = "",
                bool must_be_positive = false) {
  return {.name = name, .kind = K::money, .required = default_value.empty(),
          .default_value = default_value, .must_be_positive = must_be_positive};
}
FieldSpec percentage(std::string_view name) { return {.name = name, .kind = K::percentage}; }
FieldSpec choice(std::string_view name, std::span<const std::string_view> choices) {
  return {.name = name, .kind = K::choice, .choices = choices};
}
FieldSpec personal(FieldSpec field) {
  field.personal = true;
  return field;
}
FieldSpec active_flag() {
  return {.name = "is_active", .kind = K::boolean, .required = false, .default_value = "true"};
}

std::vector<EntitySpec> make_catalog() {
  std::vector<EntitySpec> all;
  all.push_back({.type = "portfolio", .collection = "portfolios", .event_prefix = "Portfolio",
                 .table = "portfolios",
                 .fields = {unique_text("name", 255), text("description", 1000),
                            text("owner", 255), date("reporting_start_date"),
                            date("reporting_end_date")},
                 .date_ranges = {{"reporting_start_date", "reporting_end_date"}},
                 .scope = ScopeKind::organisation});
  all.push_back({.type = "program", .collection = "programs", .event_prefix = "Program",
                 .table = "programs",
                 .fields = {ref("portfolio_id", "portfolio"), unique_text("name", 255),
                            text("business_sponsor", 255), text("program_manager", 255),
                            text("technical_lead", 255), date("start_date"), date("end_date"),
                            text("description", 1000, false)},
                 .date_ranges = {{"start_date", "end_date"}},
                 .scope = ScopeKind::program});
  all.push_back({.type = "project", .collection = "projects", .event_prefix = "Project",
                 .table = "projects",
                 .fields = {ref("program_id", "program"), text("name", 255),
                            text("business_sponsor", 255), text("project_manager", 255),
                            text("technical_lead", 255), date("start_date"), date("end_date"),
                            unique_text("cost_center_code", 50),
                            text("description", 1000, false)},
                 .date_ranges = {{"start_date", "end_date"}},
                 .scope = ScopeKind::project});
  all.push_back({.type = "project_phase", .collection = "project-phases",
                 .event_prefix = "ProjectPhase", .table = "project_phases",
                 .fields = {ref("project_id", "project"), text("name", 100), date("start_date"),
                            date("end_date"), money("capital_budget", "0.00"),
                            money("expense_budget", "0.00"), text("description", 500, false)},
                 .date_ranges = {{"start_date", "end_date", /*allow_equal=*/true}},
                 .inside_parent_dates = {{"project_id", "start_date", "end_date"}},
                 .scope = ScopeKind::project_child});
  all.push_back({.type = "resource", .collection = "resources", .event_prefix = "Resource",
                 .table = "resources",
                 .fields = {text("name", 255), choice("resource_type", kResourceTypes),
                            text("description", 1000, false)},
                 .scope = ScopeKind::organisation});
  all.push_back({.type = "worker_type", .collection = "worker-types",
                 .event_prefix = "WorkerType", .table = "worker_types",
                 .fields = {unique_text("type", 100), text("description", 1000)},
                 .scope = ScopeKind::organisation});
  all.push_back({.type = "worker",
                 .collection = "workers",
                 .event_prefix = "Worker",
                 .table = "workers",
                 .fields = {ref("worker_type_id", "worker_type"),
                            personal(unique_text("external_id", 100)), personal(text("name", 255))},
                 .scope = ScopeKind::organisation});
  all.push_back({.type = "resource_assignment", .collection = "resource-assignments",
                 .event_prefix = "ResourceAssignment", .table = "resource_assignments",
                 .fields = {ref("resource_id", "resource", true, /*fixed=*/true),
                            ref("project_id", "project", true, /*fixed=*/true),
                            date("assignment_date", true, /*fixed=*/true),
                            percentage("capital_percentage"), percentage("expense_percentage")},
                 .unique_together = {{"resource_id", "project_id", "assignment_date"}},
                 .inside_parent_dates = {{"project_id", "assignment_date", ""}},
                 .scope = ScopeKind::project_child});
  all.push_back({.type = "rate", .collection = "rates", .event_prefix = "Rate",
                 .table = "rates",
                 .fields = {ref("worker_type_id", "worker_type"),
                            money("rate_amount", "", /*must_be_positive=*/true),
                            date("start_date"), date("end_date", /*required=*/false)},
                 .date_ranges = {{"start_date", "end_date"}},
                 .scope = ScopeKind::organisation});
  FieldSpec optional_assignment = ref("resource_assignment_id", "resource_assignment", false);
  FieldSpec cost = money("actual_cost", "");
  cost.required = false;  // computed from the active rate when absent
  cost.computed = true;
  FieldSpec capital = money("capital_amount", "");
  capital.required = false;  // split from the assignment's ratio when absent
  capital.computed = true;
  FieldSpec expense = money("expense_amount", "");
  expense.required = false;
  expense.computed = true;
  all.push_back({.type = "actual", .collection = "actuals", .event_prefix = "Actual",
                 .table = "actuals",
                 .fields = {ref("project_id", "project"), ref("worker_id", "worker"),
                            optional_assignment, date("actual_date"),
                            percentage("allocation_percentage"), cost, capital, expense},
                 .inside_parent_dates = {{"project_id", "actual_date", ""}},
                 .scope = ScopeKind::project_child});
  FieldSpec email = personal({.name = "email",
                              .kind = K::email,
                              .max_length = 255,
                              .unique = true,
                              .case_insensitive = true});
  FieldSpec username = personal(unique_text("username", 100));
  username.case_insensitive = true;
  FieldSpec password{.name = "password", .kind = K::password, .max_length = 1024};
  all.push_back({.type = "user", .collection = "users", .event_prefix = "User",
                 .table = "users",
                 .fields = {username, email, active_flag(), password},
                 .scope = ScopeKind::admin_only});
  all.push_back({.type = "user_role", .collection = "user-roles", .event_prefix = "UserRole",
                 .table = "user_roles",
                 .fields = {ref("user_id", "user"), choice("role_type", kRoleTypes),
                            active_flag()},
                 .unique_together = {{"user_id", "role_type"}},
                 .scope = ScopeKind::admin_only});
  all.push_back({.type = "scope_assignment", .collection = "scope-assignments",
                 .event_prefix = "ScopeAssignment", .table = "scope_assignments",
                 .fields = {ref("user_role_id", "user_role"), choice("scope_type", kScopeTypes),
                            ref("program_id", "program", false),
                            ref("project_id", "project", false), active_flag()},
                 .scope = ScopeKind::admin_only});
  return all;
}

// What is wrong with FOLIO_PERSONAL_FIELDS ("" = nothing), found while building the catalog.
std::string personal_fields_error;

// Marks the free-text fields FOLIO_PERSONAL_FIELDS names ("portfolio.owner,program.
// business_sponsor") personal. Only text fields that are not unique: an erased value is
// the marker, which a unique column could hold once.
void mark_configured_personal_fields(std::vector<EntitySpec>& all) {
  const char* configured = std::getenv("FOLIO_PERSONAL_FIELDS");
  std::string_view rest = configured ? configured : "";
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    if (item.empty()) continue;
    const auto dot = item.find('.');
    FieldSpec* field = nullptr;
    for (auto& spec : all) {
      if (dot == std::string_view::npos || spec.type != item.substr(0, dot)) continue;
      for (auto& f : spec.fields) {
        if (f.name == item.substr(dot + 1)) field = &f;
      }
    }
    if (!field || field->kind != K::text || field->unique) {
      personal_fields_error += (personal_fields_error.empty() ? "" : "; ") + std::string(item) +
                               " is not a non-unique text field (entity_type.field)";
      continue;
    }
    field->personal = true;
  }
}

const std::vector<EntitySpec>& catalog() {
  static const std::vector<EntitySpec> all = [] {
    auto made = make_catalog();
    mark_configured_personal_fields(made);
    return made;
  }();
  return all;
}

}  // namespace

std::string personal_fields_config_error() {
  catalog();
  return personal_fields_error;
}

bool EntitySpec::has_personal_fields() const {
  for (const auto& f : fields) {
    if (f.personal) return true;
  }
  return false;
}

const FieldSpec* EntitySpec::field(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::span<const EntitySpec> all_entities() { return catalog(); }

const EntitySpec* find_entity_by_type(std::string_view type) {
  for (const auto& e : catalog()) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

const EntitySpec* find_entity_by_collection(std::string_view collection) {
  for (const auto& e : catalog()) {
    if (e.collection == collection) return &e;
  }
  return nullptr;
}

const EntitySpec& entity(std::string_view type) {
  if (const auto* e = find_entity_by_type(type)) return *e;
  throw std::out_of_range("unknown entity type '" + std::string(type) + "'");
}

std::vector<Referrer> referrers_of(std::string_view type) {
  std::vector<Referrer> result;
  for (const auto& e : catalog()) {
    for (const auto& f : e.fields) {
      if (f.kind == FieldKind::reference && f.references == type) result.push_back({&e, &f});
    }
  }
  return result;
}

std::span<const std::string_view> derived_fields(std::string_view type) {
  if (type == "project_phase") return kPhaseDerived;
  return {};
}

}  // namespace folio::events
