// Property 10, model-based: random command sequences from several simulated users (creates,
// updates and deletes with remembered, fresh, wrong or missing versions, bulk updates of
// assignments) give, step by step, the outcomes a plain in-memory model of the rules gives,
// and end in the read models the model holds. Both backends.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>

#include "tests/commands/command_sequence.h"

namespace folio::testing {
namespace {

using sequence::Op;

constexpr int kMaxModelOps = 60;

// ---- the model ---------------------------------------------------------------------------

struct Entity {
  std::string type;
  std::int64_t version = 0;
  bool deleted = false;
  FieldMap fields;
};

struct Expectation {
  Kind kind = Kind::ok;
  bool created = false;
  std::optional<Entity> state;             // ok: after; failures: the entity now (if shown)
  std::vector<std::string> error_fields;   // validation
  std::string rule, other_id;              // constraint
  std::int64_t expected = 0, current = 0;  // conflict
};

std::string text(const FieldMap& fields, const std::string& name) {
  const auto it = fields.find(name);
  return it == fields.end() ? "" : std::get<std::string>(it->second);
}
std::int64_t number(const FieldMap& fields, const std::string& name) {
  return std::get<std::int64_t>(fields.at(name));
}

class Model {
 public:
  Expectation create(const std::string& type, const std::string& id, const FieldMap& fields) {
    if (const auto it = entities_.find(id); it != entities_.end()) {
      const Entity& existing = it->second;
      const bool same =
          !existing.deleted && std::all_of(fields.begin(), fields.end(), [&](const auto& f) {
            const auto e = existing.fields.find(f.first);
            return e != existing.fields.end() && e->second == f.second;
          });
      if (same) return {.kind = Kind::ok, .state = existing};
      return constraint("id_taken", id);
    }
    Entity after{type, 1, false, fields};
    if (auto failed = check(id, after)) return *failed;
    entities_[id] = after;
    return {.kind = Kind::ok, .created = true, .state = after};
  }

  Expectation update(const std::string& type, const std::string& id,
                     std::optional<std::int64_t> version, const FieldMap& fields) {
    // API.md's order of checks: existence, then the request (422), then the version (409).
    const auto it = entities_.find(id);
    if (it == entities_.end()) return {.kind = Kind::not_found};
    if (!version) return {.kind = Kind::validation, .error_fields = {"version"}};
    Entity& current = it->second;
    std::vector<std::string> fixed;
    for (const auto& [name, value] : fields) {  // in field-name order, as sent
      const bool is_fixed =
          type == "resource_assignment" &&
          (name == "resource_id" || name == "project_id" || name == "assignment_date");
      if (is_fixed && current.fields.at(name) != value) fixed.push_back(name);
    }
    if (!fixed.empty() && !current.deleted) return validation(fixed, current);
    if (current.deleted || current.version != *version) return conflict(current, *version);
    Entity after = current;
    for (const auto& [name, value] : fields) {
      if (events::is_null(value)) {
        after.fields.erase(name);
      } else {
        after.fields[name] = value;
      }
    }
    after.version += 1;
    if (auto failed = check(id, after)) {
      failed->state = current;
      return *failed;
    }
    current = after;
    return {.kind = Kind::ok, .state = after};
  }

  Expectation remove(const std::string& type, const std::string& id,
                     std::optional<std::int64_t> version) {
    const auto it = entities_.find(id);
    if (it == entities_.end()) return {.kind = Kind::not_found};
    if (!version) return {.kind = Kind::validation, .error_fields = {"version"}};
    Entity& current = it->second;
    if (current.deleted || current.version != *version) return conflict(current, *version);
    // Children, in the order the catalog lists the referring fields.
    static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> children =
        {{"portfolio", {{"program", "portfolio_id"}}},
         {"program", {{"project", "program_id"}}},
         {"project", {{"resource_assignment", "project_id"}}},
         {"resource", {{"resource_assignment", "resource_id"}}},
         {"worker_type", {{"rate", "worker_type_id"}}}};
    if (const auto c = children.find(type); c != children.end()) {
      for (const auto& [child_type, field] : c->second) {
        if (auto child = first_live(child_type, [&, &field = field](const Entity& e) {
              return text(e.fields, field) == id;
            })) {
          auto failed = constraint("has_children", *child);
          failed.state = current;
          return failed;
        }
      }
    }
    current.deleted = true;
    current.version += 1;
    return {.kind = Kind::ok, .state = current};
  }

  const std::map<std::string, Entity>& entities() const { return entities_; }

 private:
  static Expectation constraint(std::string rule, std::string other) {
    return {.kind = Kind::constraint, .rule = std::move(rule), .other_id = std::move(other)};
  }
  static Expectation validation(std::vector<std::string> fields, const Entity& now) {
    return {.kind = Kind::validation, .state = now, .error_fields = std::move(fields)};
  }
  static Expectation conflict(const Entity& current, std::int64_t expected) {
    Expectation e{.kind = Kind::conflict, .expected = expected, .current = current.version};
    if (!current.deleted) e.state = current;
    return e;
  }

  template <class Pred>
  std::optional<std::string> first_live(const std::string& type, Pred pred,
                                        const std::string& except = "") const {
    for (const auto& [id, e] : entities_) {  // ids in order, as ORDER BY id
      if (e.type == type && !e.deleted && id != except && pred(e)) return id;
    }
    return std::nullopt;
  }

  bool live(const std::string& type, const std::string& id) const {
    const auto it = entities_.find(id);
    return it != entities_.end() && it->second.type == type && !it->second.deleted;
  }

  // The rules of DOMAIN.md on the entity after the command, in the handler's order:
  // rules within the entity (422), references and parent dates (422), collisions (409).
  std::optional<Expectation> check(const std::string& id, const Entity& after) const {
    const auto& f = after.fields;
    const std::string& type = after.type;
    auto ends_after = [&](const char* start, const char* end) {
      return !f.count(end) || text(f, end) > text(f, start);
    };
    if (type == "portfolio" && !ends_after("reporting_start_date", "reporting_end_date")) {
      return Expectation{.kind = Kind::validation, .error_fields = {"reporting_end_date"}};
    }
    if ((type == "program" || type == "project" || type == "rate") &&
        !ends_after("start_date", "end_date")) {
      return Expectation{.kind = Kind::validation, .error_fields = {"end_date"}};
    }
    if (type == "resource_assignment" &&
        number(f, "capital_percentage") + number(f, "expense_percentage") > 100) {
      return Expectation{.kind = Kind::validation, .error_fields = {"expense_percentage"}};
    }

    std::vector<std::string> errors;
    auto reference = [&](const char* field, const char* target) {
      if (!live(target, text(f, field))) {
        errors.push_back(field);
        return false;
      }
      return true;
    };
    if (type == "program") reference("portfolio_id", "portfolio");
    if (type == "project") reference("program_id", "program");
    if (type == "rate") reference("worker_type_id", "worker_type");
    if (type == "resource_assignment") {
      reference("resource_id", "resource");
      if (reference("project_id", "project")) {
        const auto& project = entities_.at(text(f, "project_id")).fields;
        const std::string date = text(f, "assignment_date");
        if (date < text(project, "start_date") || date > text(project, "end_date")) {
          errors.push_back("assignment_date");
        }
      }
    }
    if (!errors.empty()) return Expectation{.kind = Kind::validation, .error_fields = errors};

    auto unique = [&](const char* field) -> std::optional<Expectation> {
      if (auto other = first_live(
              type, [&](const Entity& e) { return text(e.fields, field) == text(f, field); }, id)) {
        return constraint(std::string("unique_") + field, *other);
      }
      return std::nullopt;
    };
    if (type == "portfolio" || type == "program") return unique("name");
    if (type == "project") {
      if (auto taken = unique("cost_center_code")) return taken;
      // Its assignments must stay inside its dates (unchanged dates always hold them).
      if (auto outside = first_live("resource_assignment", [&](const Entity& e) {
            const std::string date = text(e.fields, "assignment_date");
            return text(e.fields, "project_id") == id &&
                   (date < text(f, "start_date") || date > text(f, "end_date"));
          })) {
        return constraint("children_outside_dates", *outside);
      }
      return std::nullopt;
    }
    if (type == "worker_type") return unique("type");
    if (type == "resource_assignment") {
      const auto same_day = [&](const Entity& e) {
        return text(e.fields, "resource_id") == text(f, "resource_id") &&
               text(e.fields, "assignment_date") == text(f, "assignment_date");
      };
      if (auto other = first_live(
              type,
              [&](const Entity& e) {
                return same_day(e) && text(e.fields, "project_id") == text(f, "project_id");
              },
              id)) {
        return constraint("unique_resource_assignment", *other);
      }
      std::int64_t total = number(f, "capital_percentage") + number(f, "expense_percentage");
      for (const auto& [other_id, e] : entities_) {
        if (e.type == type && !e.deleted && other_id != id && same_day(e)) {
          total += number(e.fields, "capital_percentage") + number(e.fields, "expense_percentage");
        }
      }
      if (total > 100) return constraint("resource_capacity", *first_live(type, same_day, id));
    }
    if (type == "rate") {
      const auto end_of = [](const FieldMap& m) {
        const std::string end = text(m, "end_date");
        return end.empty() ? std::string("9999-12-31") : end;
      };
      if (auto other = first_live(
              type,
              [&](const Entity& e) {
                return text(e.fields, "worker_type_id") == text(f, "worker_type_id") &&
                       text(e.fields, "start_date") <= end_of(f) &&
                       end_of(e.fields) >= text(f, "start_date");
              },
              id)) {
        return constraint("rate_overlap", *other);
      }
    }
    return std::nullopt;
  }

  std::map<std::string, Entity> entities_;
};

// ---- checking ----------------------------------------------------------------------------

void check_outcome(const Outcome& got, const Expectation& want) {
  RC_LOG() << "  got " << describe(got) << "\n";
  RC_ASSERT(commands::error_code(got.kind) == commands::error_code(want.kind));
  switch (want.kind) {
    case Kind::ok:
      RC_ASSERT(got.created == want.created);
      RC_ASSERT(got.entity.version == want.state->version);
      RC_ASSERT(got.entity.deleted == want.state->deleted);
      RC_ASSERT(got.entity.fields == want.state->fields);
      break;
    case Kind::validation: {
      std::vector<std::string> fields;
      for (const auto& e : got.errors) fields.push_back(e.field);
      RC_ASSERT(fields == want.error_fields);
      break;
    }
    case Kind::constraint:
      RC_ASSERT(got.constraint.rule == want.rule);
      RC_ASSERT(got.constraint.other_entity_id == want.other_id);
      break;
    case Kind::conflict:
      RC_ASSERT(got.conflict.expected_version == want.expected);
      RC_ASSERT(got.conflict.current_version == want.current);
      RC_ASSERT(got.conflict.current_state.has_value() == want.state.has_value());
      if (want.state) {
        RC_ASSERT(got.conflict.current_state->version == want.state->version);
        RC_ASSERT(got.conflict.current_state->fields == want.state->fields);
      }
      RC_ASSERT(static_cast<std::int64_t>(got.conflict.changes_since.size()) ==
                (want.state ? want.current - std::min(want.expected, want.current)
                            : want.current - std::min(want.expected, want.current - 1)));
      break;
    default:
      break;
  }
}

struct Coverage {
  std::map<std::string, int> outcomes;  // error code / rule -> count
  int stale_conflicts = 0;
};

class CommandModel : public DomainTest {};

TEST_P(CommandModel, RandomSequencesFollowTheModel) {
  unsigned tag = 0x40000000;
  Coverage coverage;
  ASSERT_TRUE(check_property("commands follow the model", kPropertyCases, kMaxModelOps, [&] {
    const auto ops = *sequence::gen_ops(kMaxModelOps);
    sequence::Runner runner(*handler_, *store_, ++tag);
    Model model;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      std::ostringstream shown;
      sequence::showValue(op, shown);
      RC_LOG() << "op " << i << " " << shown.str() << "\n";
      const auto outcomes = runner.run(op, i);
      const auto& requests = runner.last_requests();
      if (op.what != Op::What::bulk) {
        const auto& q = requests.front();
        const Expectation want = op.what == Op::What::create ? model.create(q.type, q.id, q.fields)
                                 : op.what == Op::What::update
                                     ? model.update(q.type, q.id, q.version, q.fields)
                                     : model.remove(q.type, q.id, q.version);
        check_outcome(outcomes.front(), want);
        ++coverage.outcomes[want.kind == Kind::constraint
                                ? want.rule
                                : std::string(commands::error_code(want.kind))];
        if (want.kind == Kind::conflict && op.version == sequence::VersionChoice::remembered) {
          ++coverage.stale_conflicts;
        }
        continue;
      }
      // Bulk: the model decides item by item; the answer lists successes, then failures.
      std::vector<Expectation> succeeded, failed;
      std::vector<std::string> succeeded_ids, failed_ids;
      for (const auto& q : requests) {
        Expectation want = model.update(q.type, q.id, q.version, q.fields);
        ++coverage.outcomes["bulk " + std::string(commands::error_code(want.kind))];
        (want.kind == Kind::ok ? succeeded_ids : failed_ids).push_back(q.id);
        (want.kind == Kind::ok ? succeeded : failed).push_back(std::move(want));
      }
      RC_ASSERT(outcomes.size() == succeeded.size() + failed.size());
      for (std::size_t k = 0; k < succeeded.size(); ++k) {
        RC_ASSERT(outcomes[k].ok());
        RC_ASSERT(outcomes[k].entity.id == succeeded_ids[k]);
        RC_ASSERT(outcomes[k].entity.version == succeeded[k].state->version);
      }
      for (std::size_t k = 0; k < failed.size(); ++k) {
        const Outcome& got = outcomes[succeeded.size() + k];
        RC_ASSERT(got.entity.id == failed_ids[k]);
        check_outcome(got, failed[k]);
        // The current state of a failed item: the entity now, if it exists.
        if (failed[k].kind == Kind::validation || failed[k].kind == Kind::constraint) {
          RC_ASSERT(got.entity.version == (failed[k].state ? failed[k].state->version : 0));
        }
      }
    }
    // The read models hold what the model holds, and each stream one event per version.
    for (const auto& [type, id] : runner.all_ids()) {
      const auto row = load(*store_, spec_of(type), id);
      const auto it = model.entities().find(id);
      if (it == model.entities().end()) {
        RC_ASSERT(!row.has_value());
        continue;
      }
      RC_ASSERT(row.has_value());
      RC_ASSERT(row->version == it->second.version);
      RC_ASSERT(row->deleted == it->second.deleted);
      RC_ASSERT(row->fields == it->second.fields);
      RC_ASSERT(store_->stream_version(type + "-" + id) == it->second.version);
    }
  }));
  std::string seen;
  for (const auto& [name, count] : coverage.outcomes)
    seen += " " + name + "=" + std::to_string(count);
  std::cout << "[ model    ] outcomes:" << seen << ", stale conflicts " << coverage.stale_conflicts
            << "\n";
  // The generator reaches every rule.
  for (const char* name :
       {"ok", "validation", "not_found", "conflict", "id_taken", "unique_name",
        "unique_cost_center_code", "unique_type", "unique_resource_assignment", "resource_capacity",
        "rate_overlap", "has_children", "bulk ok", "bulk conflict"}) {
    EXPECT_GT(coverage.outcomes[name], 0) << name;
  }
  EXPECT_GT(coverage.stale_conflicts, 10);
}

INSTANTIATE_TEST_SUITE_P(Backends, CommandModel, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
