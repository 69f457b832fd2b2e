#include "commands/rules.h"

#include <map>

#include "events/sealed_value.h"
#include "projections/money.h"
#include "projections/read_model.h"

namespace folio::commands {

namespace {

using events::FieldKind;
using store::SqlValue;

constexpr const char* kOverlappingPhase =
    "SELECT id FROM project_phases WHERE deleted = 0 AND project_id = $1 AND id <> $2"
    " AND start_date <= $4 AND end_date >= $3 ORDER BY id LIMIT 1";
constexpr const char* kOverlappingRate =
    "SELECT id FROM rates WHERE deleted = 0 AND worker_type_id = $1 AND id <> $2"
    " AND start_date <= COALESCE($4, '9999-12-31')"
    " AND COALESCE(end_date, '9999-12-31') >= $3 ORDER BY id LIMIT 1";
constexpr const char* kResourceDayLoad =
    "SELECT id, capital_percentage + expense_percentage FROM resource_assignments"
    " WHERE deleted = 0 AND resource_id = $1 AND assignment_date = $2 AND id <> $3 ORDER BY id";
constexpr const char* kWorkerDayLoad =
    "SELECT id, allocation_percentage FROM actuals"
    " WHERE deleted = 0 AND worker_id = $1 AND actual_date = $2 AND id <> $3 ORDER BY id";
constexpr const char* kActiveRate =
    "SELECT r.rate_amount FROM rates r JOIN workers w ON w.worker_type_id = r.worker_type_id"
    " WHERE w.id = $1 AND r.deleted = 0 AND r.start_date <= $2"
    " AND (r.end_date IS NULL OR r.end_date >= $2) ORDER BY r.start_date DESC LIMIT 1";
constexpr const char* kAssignmentSplit =
    "SELECT capital_percentage, expense_percentage FROM resource_assignments"
    " WHERE id = $1 AND deleted = 0";

// A date rule of a child type whose parent is of some type, with the statement that finds a
// live child of one parent outside the dates $2..$3 (generated from the catalog once, so
// the statements have static storage as store::Transaction requires).
struct ChildDateCheck {
  const EntitySpec* child;
  std::string sql;
};

const std::vector<ChildDateCheck>& child_date_checks(std::string_view parent_type) {
  static const auto all = [] {
    std::map<std::string, std::vector<ChildDateCheck>, std::less<>> by_parent;
    for (const auto& child : events::all_entities()) {
      for (const auto& rule : child.inside_parent_dates) {
        const auto* field = child.field(rule.parent_field);
        const std::string_view last = rule.end.empty() ? rule.start : rule.end;
        by_parent[std::string(field->references)].push_back(
            {&child, "SELECT id FROM " + std::string(child.table) + " WHERE deleted = 0 AND " +
                         std::string(rule.parent_field) + " = $1 AND (" + std::string(rule.start) +
                         " < $2 OR " + std::string(last) + " > $3) ORDER BY id LIMIT 1"});
      }
    }
    return by_parent;
  }();
  static const std::vector<ChildDateCheck> none;
  const auto it = all.find(parent_type);
  return it == all.end() ? none : it->second;
}

SqlValue text_or_null(const std::string& s) { return s.empty() ? SqlValue{} : SqlValue{s}; }

Outcome collision(std::string rule, std::string message, std::string_view other_type,
                  std::string other_id) {
  return Outcome::violated(
      {std::move(rule), std::move(message), std::string(other_type), std::move(other_id)});
}

// Sums the load of one resource-day or worker-day (rows of id, percentage) and refuses
// the command when adding `own` would pass 100.
std::optional<Outcome> check_day_load(store::Transaction& tx, const char* sql,
                                      const std::string& key_id, const std::string& date,
                                      const std::string& own_id, std::int64_t own,
                                      const char* rule, std::string_view other_type,
                                      const char* what) {
  const std::vector<SqlValue> params{key_id, date, own_id};
  std::int64_t total = own;
  std::string first_other;
  for (const auto& row : tx.query(sql, params)) {
    total += std::get<std::int64_t>(row[1]);
    if (first_other.empty()) first_other = std::get<std::string>(row[0]);
  }
  if (total <= 100) return std::nullopt;
  return collision(rule,
                   std::string(what) + " on " + date + " would reach " + std::to_string(total) +
                       "%, above 100%",
                   other_type, first_other);
}

}  // namespace

std::string entity_lock_key(const std::string& id) { return "entity:" + id; }

std::optional<Outcome> check_references(store::Transaction& tx, const EntitySpec& spec,
                                        const EntityState& state) {
  std::vector<FieldError> errors;
  for (const auto& field : spec.fields) {
    if (field.kind != FieldKind::reference) continue;
    const std::string id = projections::text_field(state.fields, field.name);
    if (id.empty()) continue;
    tx.lock_key(entity_lock_key(id), /*shared=*/true);
    const auto& target = events::entity(field.references);
    const auto parent = projections::load_entity(tx, target, id);
    if (!parent || !parent->exists()) {
      errors.push_back({std::string(field.name),
                        "refers to a " + std::string(target.type) + " that does not exist"});
      continue;
    }
    for (const auto& rule : spec.inside_parent_dates) {
      if (rule.parent_field != field.name) continue;
      const std::string parent_start = projections::text_field(parent->fields, "start_date");
      const std::string parent_end = projections::text_field(parent->fields, "end_date");
      for (auto date_field : {rule.start, rule.end}) {
        if (date_field.empty()) continue;
        const std::string date = projections::text_field(state.fields, date_field);
        if (!date.empty() && (date < parent_start || date > parent_end)) {
          errors.push_back({std::string(date_field), "must lie within the " +
                                                         std::string(target.type) + "'s dates (" +
                                                         parent_start + " to " + parent_end + ")"});
        }
      }
    }
  }
  if (errors.empty()) return std::nullopt;
  return Outcome::invalid(std::move(errors));
}

std::optional<Outcome> check_collisions(store::Transaction& tx, const EntitySpec& spec,
                                        const EntityState& state) {
  const auto& fields = state.fields;
  for (const auto& field : spec.fields) {
    if (!field.unique) continue;
    // Erased values are all the marker, and unique to nobody (migration 0011's indexes).
    if (field.personal && projections::text_field(fields, field.name) == events::kErasedMarker) {
      continue;
    }
    if (auto other = projections::find_other_with(tx, spec, {field.name}, fields, state.id)) {
      return collision("unique_" + std::string(field.name),
                       std::string(field.name) + " is already used by another " +
                           std::string(spec.type),
                       spec.type, *other);
    }
  }
  for (const auto& composite : spec.unique_together) {
    if (auto other = projections::find_other_with(tx, spec, composite, fields, state.id)) {
      std::string names;
      for (auto n : composite) names += (names.empty() ? "" : ", ") + std::string(n);
      return collision("unique_" + std::string(spec.type),
                       "another " + std::string(spec.type) + " has the same " + names, spec.type,
                       *other);
    }
  }
  if (spec.type == "project_phase") {
    const std::string project = projections::text_field(fields, "project_id");
    tx.lock_key("phases:" + project);
    const std::vector<SqlValue> params{project, state.id, projections::text_field(fields, "start_date"),
                                       projections::text_field(fields, "end_date")};
    const auto rows = tx.query(kOverlappingPhase, params);
    if (!rows.empty()) {
      return collision("phase_overlap", "the dates overlap another phase of this project",
                       "project_phase", std::get<std::string>(rows[0][0]));
    }
  }
  if (spec.type == "rate") {
    const std::string worker_type = projections::text_field(fields, "worker_type_id");
    tx.lock_key("rates:" + worker_type);
    const std::vector<SqlValue> params{worker_type, state.id, projections::text_field(fields, "start_date"),
                                       text_or_null(projections::text_field(fields, "end_date"))};
    const auto rows = tx.query(kOverlappingRate, params);
    if (!rows.empty()) {
      return collision("rate_overlap", "the dates overlap another rate of this worker type",
                       "rate", std::get<std::string>(rows[0][0]));
    }
  }
  if (spec.type == "resource_assignment") {
    const std::string resource = projections::text_field(fields, "resource_id");
    const std::string date = projections::text_field(fields, "assignment_date");
    tx.lock_key("capacity:" + resource + ":" + date);
    return check_day_load(
        tx, kResourceDayLoad, resource, date, state.id,
        projections::int_field(fields, "capital_percentage") + projections::int_field(fields, "expense_percentage"),
        "resource_capacity", "resource_assignment", "the resource's allocation");
  }
  if (spec.type == "actual") {
    const std::string worker = projections::text_field(fields, "worker_id");
    const std::string date = projections::text_field(fields, "actual_date");
    tx.lock_key("allocation:" + worker + ":" + date);
    return check_day_load(tx, kWorkerDayLoad, worker, date, state.id,
                          projections::int_field(fields, "allocation_percentage"), "worker_allocation",
                          "actual", "the worker's allocation");
  }
  return std::nullopt;
}

std::optional<Outcome> check_children_inside_dates(store::Transaction& tx, const EntitySpec& spec,
                                                   const EntityState& before,
                                                   const EntityState& after) {
  const auto& checks = child_date_checks(spec.type);
  if (checks.empty()) return std::nullopt;
  const std::string start = projections::text_field(after.fields, "start_date");
  const std::string end = projections::text_field(after.fields, "end_date");
  if (start == projections::text_field(before.fields, "start_date") &&
      end == projections::text_field(before.fields, "end_date")) {
    return std::nullopt;
  }
  tx.lock_key(entity_lock_key(after.id));
  const std::vector<SqlValue> params{after.id, start, end};
  for (const auto& check : checks) {
    const auto rows = tx.query(check.sql.c_str(), params);
    if (!rows.empty()) {
      return collision("children_outside_dates",
                       "a " + std::string(check.child->type) + " of this " +
                           std::string(spec.type) + " lies outside " + start + " to " + end +
                           "; move or delete it first",
                       check.child->type, std::get<std::string>(rows[0][0]));
    }
  }
  return std::nullopt;
}

std::optional<Outcome> check_no_children(store::Transaction& tx, const EntitySpec& spec,
                                         const std::string& id) {
  tx.lock_key(entity_lock_key(id));
  for (const auto& referrer : events::referrers_of(spec.type)) {
    if (auto child = projections::find_referrer(tx, *referrer.entity, referrer.field->name, id)) {
      return collision("has_children",
                       "this " + std::string(spec.type) + " still has " +
                           std::string(referrer.entity->type) +
                           " entities; delete them first",
                       referrer.entity->type, *child);
    }
  }
  return std::nullopt;
}

std::optional<Outcome> complete_actual(store::Transaction& tx, projections::FieldMap& fields,
                                       const projections::FieldMap& requested) {
  using projections::format_money;
  using projections::parse_money;
  auto cost = parse_money(projections::text_field(fields, "actual_cost"));
  if (!requested.count("actual_cost")) {
    const std::vector<SqlValue> params{projections::text_field(fields, "worker_id"), projections::text_field(fields, "actual_date")};
    const auto rows = tx.query(kActiveRate, params);
    if (rows.empty()) {
      return Outcome::invalid("actual_cost",
                              "is required: no rate of the worker's type is active on " +
                                  projections::text_field(fields, "actual_date"));
    }
    const auto rate = parse_money(std::get<std::string>(rows[0][0])).value_or(0);
    // rate x allocation / 100, rounded half up to the cent. Rates reach 10^17 cents, so
    // the product is formed in 128 bits; the result is at most the rate again.
    cost = static_cast<std::int64_t>(
        (static_cast<__int128>(rate) * projections::int_field(fields, "allocation_percentage") + 50) / 100);
    fields["actual_cost"] = format_money(*cost);
  }
  const bool has_capital = requested.count("capital_amount") > 0;
  const bool has_expense = requested.count("expense_amount") > 0;
  if (has_capital && has_expense) return std::nullopt;
  if (has_capital || has_expense) {
    const char* given = has_capital ? "capital_amount" : "expense_amount";
    const char* other = has_capital ? "expense_amount" : "capital_amount";
    const auto rest = *cost - parse_money(projections::text_field(fields, given)).value_or(0);
    if (rest < 0) return Outcome::invalid(given, "must not exceed actual_cost");
    fields[other] = format_money(rest);
    return std::nullopt;
  }
  std::int64_t capital_share = 1, expense_share = 1;  // 50:50 without a linked assignment
  if (const auto assignment = projections::text_field(fields, "resource_assignment_id"); !assignment.empty()) {
    const SqlValue param{assignment};
    const auto rows = tx.query(kAssignmentSplit, std::span(&param, 1));
    if (!rows.empty()) {
      const auto c = std::get<std::int64_t>(rows[0][0]);
      const auto e = std::get<std::int64_t>(rows[0][1]);
      if (c + e > 0) {
        capital_share = c;
        expense_share = e;
      }
    }
  }
  // The capital part is rounded down, so the odd cent goes to expense (128 bits: a cost
  // of up to 10^17 cents times a share of up to 100).
  const auto capital = static_cast<std::int64_t>(static_cast<__int128>(*cost) * capital_share /
                                                 (capital_share + expense_share));
  fields["capital_amount"] = format_money(capital);
  fields["expense_amount"] = format_money(*cost - capital);
  return std::nullopt;
}

}  // namespace folio::commands
