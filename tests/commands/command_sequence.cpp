#include "tests/commands/command_sequence.h"

#include <cstdio>

namespace folio::testing::sequence {

namespace {

using rc::gen::elementOf;

// Slot 0 is the busiest: most references and most writes go there, so that writers collide.
int gen_slot() { return *rc::gen::weightedElement<int>({{5, 0}, {3, 1}, {2, 2}}); }
std::string ref(const std::string& type) { return "@" + type + ":" + std::to_string(gen_slot()); }
std::string pick(const std::vector<std::string>& values) { return *elementOf(values); }

// Every field of a create, from small pools so that values collide.
FieldMap create_fields(const std::string& type) {
  if (type == "portfolio") {
    return {{"name", "~P" + std::to_string(uniform(0, 2))},
            {"description", std::string("d")},
            {"owner", std::string("o")},
            {"reporting_start_date", pick({"2020-01-01", "2021-01-01"})},
            {"reporting_end_date", pick({"2020-06-30", "2022-12-31"})}};
  }
  if (type == "program") {
    return {{"portfolio_id", ref("portfolio")},
            {"name", "~G" + std::to_string(uniform(0, 2))},
            {"business_sponsor", std::string("s")},
            {"program_manager", std::string("m")},
            {"technical_lead", std::string("t")},
            {"start_date", std::string("2020-01-01")},
            {"end_date", std::string("2022-12-31")}};
  }
  if (type == "project") {
    return {{"program_id", ref("program")},
            {"name", std::string("J")},
            {"business_sponsor", std::string("s")},
            {"project_manager", std::string("m")},
            {"technical_lead", std::string("t")},
            {"start_date", pick({"2020-01-01", "2020-06-01"})},
            {"end_date", pick({"2020-12-31", "2021-06-30"})},
            {"cost_center_code", "~C" + std::to_string(uniform(0, 2))}};
  }
  if (type == "resource") {
    return {{"name", pick({"R0", "R1"})}, {"resource_type", pick({"labor", "non_labor"})}};
  }
  if (type == "resource_assignment") {
    return {{"resource_id", ref("resource")},
            {"project_id", ref("project")},
            {"assignment_date", pick({"2020-03-01", "2020-09-01", "2021-03-01"})},
            {"capital_percentage", std::int64_t{20 * uniform(0, 3)}},
            {"expense_percentage", std::int64_t{20 * uniform(0, 3)}}};
  }
  if (type == "worker_type") {
    return {{"type", "~T" + std::to_string(uniform(0, 2))}, {"description", std::string("d")}};
  }
  // rate
  FieldMap fields{{"worker_type_id", ref("worker_type")},
                  {"rate_amount", pick({"100.00", "250.50"})},
                  {"start_date", pick({"2020-01-01", "2020-07-01", "2021-01-01"})}};
  const int end = uniform(0, 3);
  if (end > 0) {
    fields["end_date"] = std::string(end == 1 ? "2020-06-30" : end == 2 ? "2020-12-31" : "2021-12-31");
  }
  return fields;
}

FieldMap update_fields(const std::string& type) {
  FieldMap all = create_fields(type);
  if (type == "rate" && !all.count("end_date")) all["end_date"] = FieldValue{};  // clears it
  FieldMap some;
  for (const auto& [name, value] : all) {
    // Fixed fields of an assignment are sent rarely (mostly unchanged values would be
    // boring; changed ones are refused).
    const bool fixed = type == "resource_assignment" && name != "capital_percentage" &&
                       name != "expense_percentage";
    if (uniform(0, 99) < (fixed ? 10 : 40)) some.emplace(name, value);
  }
  return some;
}

VersionChoice gen_version() {
  return *rc::gen::weightedElement<VersionChoice>({{4, VersionChoice::remembered},
                                                   {4, VersionChoice::fresh},
                                                   {1, VersionChoice::wrong},
                                                   {1, VersionChoice::missing}});
}

const char* name(VersionChoice v) {
  switch (v) {
    case VersionChoice::remembered: return "remembered";
    case VersionChoice::fresh: return "fresh";
    case VersionChoice::wrong: return "wrong";
    case VersionChoice::missing: return "missing";
  }
  return "?";
}

std::string hex(unsigned long value, int width) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%0*lx", width, value);
  return buffer;
}

}  // namespace

const std::vector<std::string>& types() {
  static const std::vector<std::string> all = {"portfolio",           "program",     "project",
                                               "resource",            "resource_assignment",
                                               "worker_type",         "rate"};
  return all;
}

void showValue(const Op& op, std::ostream& os) {
  static const char* kWhat[] = {"create", "update", "remove", "bulk"};
  os << "{" << kWhat[static_cast<int>(op.what)] << " user " << op.user;
  if (op.what == Op::What::bulk) {
    for (const auto& item : op.items) {
      os << " [slot " << item.slot << " " << name(item.version) << " " << item.wrong_version
         << " " << describe(item.fields) << "]";
    }
  } else {
    os << " " << op.type << ":" << op.slot;
    if (op.what != Op::What::create) os << " " << name(op.version) << " " << op.wrong_version;
    os << " " << describe(op.fields);
  }
  os << "}";
}

rc::Gen<Op> gen_op() {
  return rc::gen::exec([] {
    Op op;
    const int what = uniform(0, 19);
    op.what = what < 8    ? Op::What::create
              : what < 15 ? Op::What::update
              : what < 18 ? Op::What::remove
                          : Op::What::bulk;
    op.user = uniform(0, kUsers - 1);
    // Parents are created more often than leaves, so that leaves find them.
    op.type = *rc::gen::weightedElement<std::string>({{3, "portfolio"},
                                                      {3, "program"},
                                                      {3, "project"},
                                                      {2, "resource"},
                                                      {4, "resource_assignment"},
                                                      {2, "worker_type"},
                                                      {3, "rate"}});
    op.slot = gen_slot();
    if (op.what == Op::What::create) {
      // Creates go mostly where nothing is yet (setup fills slot 0 and 1 first).
      op.slot = *rc::gen::weightedElement<int>({{2, 0}, {3, 1}, {5, 2}});
    }
    op.version = gen_version();
    op.wrong_version = uniform(1, 6);
    switch (op.what) {
      case Op::What::create:
        op.fields = create_fields(op.type);
        break;
      case Op::What::update:
        op.fields = update_fields(op.type);
        break;
      case Op::What::remove:
        break;
      case Op::What::bulk: {
        op.type = "resource_assignment";
        const int n = uniform(1, 4);
        for (int i = 0; i < n; ++i) {
          BulkItem item;
          item.slot = gen_slot();
          item.version = *rc::gen::weightedElement<VersionChoice>(
              {{4, VersionChoice::remembered}, {4, VersionChoice::fresh}, {1, VersionChoice::wrong}});
          item.wrong_version = uniform(1, 6);
          if (uniform(0, 1)) item.fields["capital_percentage"] = std::int64_t{20 * uniform(0, 3)};
          if (uniform(0, 1)) item.fields["expense_percentage"] = std::int64_t{20 * uniform(0, 3)};
          if (uniform(0, 9) == 0) item.fields["resource_id"] = ref("resource");
          op.items.push_back(std::move(item));
        }
        break;
      }
    }
    return op;
  });
}

std::vector<Op> setup_ops() {
  auto create = [](std::string type, int slot, FieldMap fields) {
    Op op;
    op.what = Op::What::create;
    op.type = std::move(type);
    op.slot = slot;
    op.fields = std::move(fields);
    return op;
  };
  return {
      create("portfolio", 0,
             {{"name", std::string("~P0")}, {"description", std::string("d")},
              {"owner", std::string("o")}, {"reporting_start_date", std::string("2020-01-01")},
              {"reporting_end_date", std::string("2022-12-31")}}),
      create("program", 0,
             {{"portfolio_id", std::string("@portfolio:0")}, {"name", std::string("~G0")},
              {"business_sponsor", std::string("s")}, {"program_manager", std::string("m")},
              {"technical_lead", std::string("t")}, {"start_date", std::string("2020-01-01")},
              {"end_date", std::string("2022-12-31")}}),
      create("project", 0,
             {{"program_id", std::string("@program:0")}, {"name", std::string("J")},
              {"business_sponsor", std::string("s")}, {"project_manager", std::string("m")},
              {"technical_lead", std::string("t")}, {"start_date", std::string("2020-01-01")},
              {"end_date", std::string("2021-06-30")}, {"cost_center_code", std::string("~C0")}}),
      create("project", 1,
             {{"program_id", std::string("@program:0")}, {"name", std::string("J")},
              {"business_sponsor", std::string("s")}, {"project_manager", std::string("m")},
              {"technical_lead", std::string("t")}, {"start_date", std::string("2020-01-01")},
              {"end_date", std::string("2020-12-31")}, {"cost_center_code", std::string("~C1")}}),
      create("resource", 0, {{"name", std::string("R0")}, {"resource_type", std::string("labor")}}),
      create("worker_type", 0, {{"type", std::string("~T0")}, {"description", std::string("d")}}),
      // 60 + 20 of resource 0's 100 on 2020-03-01 are taken, in two projects.
      create("resource_assignment", 0,
             {{"resource_id", std::string("@resource:0")}, {"project_id", std::string("@project:0")},
              {"assignment_date", std::string("2020-03-01")},
              {"capital_percentage", std::int64_t{40}}, {"expense_percentage", std::int64_t{20}}}),
      create("resource_assignment", 1,
             {{"resource_id", std::string("@resource:0")}, {"project_id", std::string("@project:1")},
              {"assignment_date", std::string("2020-03-01")},
              {"capital_percentage", std::int64_t{20}}, {"expense_percentage", std::int64_t{0}}}),
  };
}

rc::Gen<std::vector<Op>> gen_ops(int max_ops) {
  return rc::gen::exec([max_ops] {
    std::vector<Op> ops = setup_ops();
    const int n = uniform(1, max_ops);
    for (auto& op : *rc::gen::container<std::vector<Op>>(static_cast<std::size_t>(n), gen_op())) {
      ops.push_back(std::move(op));
    }
    return ops;
  });
}

Runner::Runner(CommandHandler& handler, store::EventStore& store, unsigned tag)
    : handler_(handler), store_(store), tag_(tag), beliefs_(kUsers) {}

std::string Runner::id(const std::string& type, int slot) const {
  const auto& all = types();
  const auto index = static_cast<unsigned long>(std::find(all.begin(), all.end(), type) - all.begin());
  return hex(tag_, 8) + "-0000-4000-8000-" + hex(index, 4) + hex(static_cast<unsigned long>(slot), 8);
}

FieldMap Runner::resolve(const FieldMap& fields) const {
  FieldMap resolved;
  for (const auto& [name, value] : fields) {
    const auto* text = std::get_if<std::string>(&value);
    if (text && !text->empty() && text->front() == '@') {
      const auto colon = text->find(':');
      resolved[name] = id(text->substr(1, colon - 1), std::stoi(text->substr(colon + 1)));
    } else if (text && !text->empty() && text->front() == '~') {
      resolved[name] = text->substr(1) + " " + hex(tag_, 8);
    } else {
      resolved[name] = value;
    }
  }
  return resolved;
}

std::optional<std::int64_t> Runner::version_for(int user, const std::string& type,
                                                const std::string& id, VersionChoice choice,
                                                int wrong_version) {
  switch (choice) {
    case VersionChoice::remembered: {
      const auto it = beliefs_[user].find(id);
      return it == beliefs_[user].end() ? 1 : it->second;
    }
    case VersionChoice::fresh: {
      const auto v = store_.stream_version(type + "-" + id);
      return v > 0 ? v : 1;
    }
    case VersionChoice::wrong:
      return wrong_version;
    case VersionChoice::missing:
      return std::nullopt;
  }
  return std::nullopt;
}

void Runner::learn(int user, const std::string& id, const Outcome& outcome) {
  if (outcome.ok()) beliefs_[user][id] = outcome.entity.version;
  if (outcome.kind == Kind::conflict) beliefs_[user][id] = outcome.conflict.current_version;
}

std::vector<Outcome> Runner::run(const Op& op, std::size_t index) {
  const CommandContext context =
      context_for(user_uuid(op.user), "req-" + hex(tag_, 8) + "-" + std::to_string(index));
  const EntitySpec& spec = spec_of(op.type);
  last_requests_.clear();
  std::vector<Outcome> outcomes;
  if (op.what == Op::What::bulk) {
    std::vector<commands::BulkAssignmentItem> items;
    for (const auto& item : op.items) {
      const std::string target = id("resource_assignment", item.slot);
      items.push_back({target, version_for(op.user, "resource_assignment", target, item.version, item.wrong_version),
                       resolve(item.fields)});
      last_requests_.push_back({"resource_assignment", target, items.back().version,
                                items.back().fields});
    }
    const auto result = handler_.bulk_update_assignments(context, items);
    for (const auto& s : result.succeeded) {
      Outcome ok;
      ok.entity.id = s.id;
      ok.entity.version = s.version;
      beliefs_[op.user][s.id] = s.version;
      outcomes.push_back(ok);
    }
    for (const auto& f : result.failed) {
      learn(op.user, f.id, f.outcome);
      Outcome failed = f.outcome;
      // The item's id and current state ride along in the entity slot so that comparisons
      // see them.
      failed.entity = f.current_state.value_or(EntityState{});
      failed.entity.id = f.id;
      outcomes.push_back(failed);
    }
    return outcomes;
  }
  const std::string target = id(op.type, op.slot);
  Outcome outcome;
  switch (op.what) {
    case Op::What::create: {
      CreateEntity command{&spec, target, std::nullopt, resolve(op.fields)};
      last_requests_.push_back({op.type, target, std::nullopt, command.fields});
      outcome = handler_.create(context, command);
      break;
    }
    case Op::What::update: {
      UpdateEntity command{&spec, target, version_for(op.user, op.type, target, op.version, op.wrong_version),
                           resolve(op.fields)};
      last_requests_.push_back({op.type, target, command.expected_version, command.fields});
      outcome = handler_.update(context, command);
      break;
    }
    case Op::What::remove: {
      DeleteEntity command{&spec, target, version_for(op.user, op.type, target, op.version, op.wrong_version)};
      last_requests_.push_back({op.type, target, command.expected_version, {}});
      outcome = handler_.remove(context, command);
      break;
    }
    case Op::What::bulk:
      break;
  }
  learn(op.user, target, outcome);
  outcomes.push_back(outcome);
  return outcomes;
}

std::vector<std::pair<std::string, std::string>> Runner::all_ids() const {
  std::vector<std::pair<std::string, std::string>> ids;
  for (const auto& type : types()) {
    for (int slot = 0; slot < kSlots; ++slot) ids.emplace_back(type, id(type, slot));
  }
  return ids;
}

std::string summary(const Outcome& outcome) {
  std::string out(commands::error_code(outcome.kind));
  const auto state = [](const EntityState& s) { return describe(without_timestamps(s)); };
  switch (outcome.kind) {
    case Kind::ok:
      return out + (outcome.created ? " created " : " ") + state(outcome.entity);
    case Kind::validation:
      for (const auto& e : outcome.errors) out += " [" + e.field + ": " + e.message + "]";
      return out + " now " + state(outcome.entity);
    case Kind::conflict: {
      const auto& c = outcome.conflict;
      out += " " + c.entity_type + " " + c.entity_id + " expected " +
             std::to_string(c.expected_version) + " current " + std::to_string(c.current_version) +
             " state " + (c.current_state ? state(*c.current_state) : "null") + " attempted " +
             describe(c.attempted_changes) + " since";
      for (const auto& entry : c.changes_since) {
        out += " (v" + std::to_string(entry.version) + " " + entry.event_type + " by " +
               entry.user_id + " req " + entry.request_id;
        for (const auto& [field, change] : entry.changes) {
          out += " " + field + ": " + describe(change.from) + " -> " + describe(change.to);
        }
        out += ")";
      }
      return out;
    }
    case Kind::constraint:
      return out + " " + outcome.constraint.rule + " (" + outcome.constraint.message + ") " +
             outcome.constraint.other_entity_type + " " + outcome.constraint.other_entity_id +
             " now " + state(outcome.entity);
    default:
      return out + " " + outcome.message + " now " + state(outcome.entity);
  }
}

}  // namespace folio::testing::sequence
