#include "tests/commands/domain_support.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <sstream>

#include "commands/passwords.h"
#include "events/payload_codec.h"
#include "events/sealed_value.h"
#include "tests/support/property.h"

namespace folio::testing {

namespace {

// Every conflict is logged at warn level. The suites check those lines themselves
// (conflict_log_test.cpp registers its own logger) and keep the rest of the output quiet.
[[maybe_unused]] const bool kQuietLogs = [] {
  spdlog::set_level(spdlog::level::err);
  return true;
}();

using events::FieldKind;

const std::vector<std::string> kTextPieces = {"a", "b", "Z", "q", "7", " ", "é", "ß",
                                              "日", "本", "🙂", "-", "'", "&", "<", "\""};
const std::vector<std::string> kLongPieces = {"é", "日", "🙂", "x"};
const std::vector<std::string> kPads = {" ", "\t", "  ", "\n", " \r\n"};
const std::vector<std::string> kResourceTypes = {"labor", "non_labor"};
const std::vector<std::string> kRoleTypes = {"admin",           "program_manager",
                                             "project_manager", "finance_manager",
                                             "resource_manager", "viewer"};
const std::vector<std::string> kScopeTypes = {"global", "program", "project"};

constexpr const char* kLongProjectStart = "2020-01-01";
constexpr const char* kLongProjectEnd = "2029-12-31";
constexpr int kChildDays = 3650;  // days of the long project children may use

std::string hex(unsigned long value, int width) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%0*lx", width, value);
  return buffer;
}

}  // namespace

// ---- RapidCheck --------------------------------------------------------------------------

::testing::AssertionResult check_property(const std::string& name, int cases, int max_size,
                                          const std::function<void()>& property) {
  return check_cases(name, cases, max_size, property);
}

// ---- dates and money ---------------------------------------------------------------------

std::string add_days(const std::string& date, int days) {
  using namespace std::chrono;
  const year_month_day ymd{year{std::stoi(date.substr(0, 4))},
                           month{static_cast<unsigned>(std::stoi(date.substr(5, 2)))},
                           day{static_cast<unsigned>(std::stoi(date.substr(8, 2)))}};
  const year_month_day result{sys_days{ymd} + std::chrono::days{days}};
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(result.year()),
                static_cast<unsigned>(result.month()), static_cast<unsigned>(result.day()));
  return buffer;
}

std::string money(std::int64_t value) {
  const bool negative = value < 0;
  const std::int64_t magnitude = negative ? -value : value;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%s%lld.%02lld", negative ? "-" : "",
                static_cast<long long>(magnitude / 100), static_cast<long long>(magnitude % 100));
  return buffer;
}

std::int64_t cents(const FieldValue& value) {
  const auto& text = std::get<std::string>(value);
  const auto dot = text.find('.');
  return std::stoll(text.substr(0, dot)) * 100 + std::stoll(text.substr(dot + 1));
}

// ---- printing ----------------------------------------------------------------------------

std::string describe(const FieldValue& value) {
  if (events::is_null(value)) return "null";
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* n = std::get_if<std::int64_t>(&value)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&value)) return std::to_string(*d) + "(double)";
  return "\"" + std::get<std::string>(value) + "\"";
}

std::string describe(const FieldMap& fields) {
  std::string out = "{";
  for (const auto& [name, value] : fields) {
    if (out.size() > 1) out += ", ";
    out += name + ": " + describe(value);
  }
  return out + "}";
}

std::string describe(const EntityState& state) {
  return "{id " + state.id + " v" + std::to_string(state.version) +
         (state.deleted ? " deleted" : "") + " " + describe(state.fields) + "}";
}

std::string describe(const Outcome& outcome) {
  std::string out(commands::error_code(outcome.kind));
  switch (outcome.kind) {
    case Kind::ok:
      return out + " " + describe(outcome.entity);
    case Kind::validation:
      for (const auto& e : outcome.errors) out += " [" + e.field + ": " + e.message + "]";
      return out;
    case Kind::conflict:
      return out + " expected v" + std::to_string(outcome.conflict.expected_version) +
             ", current v" + std::to_string(outcome.conflict.current_version);
    case Kind::constraint:
      return out + " " + outcome.constraint.rule + " (" + outcome.constraint.message + ") other " +
             outcome.constraint.other_entity_type + " " + outcome.constraint.other_entity_id;
    default:
      return out + " " + outcome.message;
  }
}

const Outcome& require_ok(const Outcome& outcome, const std::string& what) {
  if (!outcome.ok()) throw std::runtime_error(what + " failed: " + describe(outcome));
  return outcome;
}

void require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error("requirement failed: " + what);
}

// ---- entity types ------------------------------------------------------------------------

std::vector<std::string> all_entity_types() {
  std::vector<std::string> types;
  for (const auto& spec : events::all_entities()) types.emplace_back(spec.type);
  return types;
}

const EntitySpec& spec_of(std::string_view type) { return events::entity(type); }

// ---- reading the store -------------------------------------------------------------------

std::vector<events::RecordedEvent> all_events(store::EventStore& store) {
  return store.read_all(0, 10'000'000);
}

FieldMap payload_fields(const events::RecordedEvent& event) {
  auto fields = events::decode_payload<events::EntityChanges>(event.payload).fields;
  events::open_sealed_fields(event.subject_key, event.stream_id, fields);
  return fields;
}

std::vector<events::RecordedEvent> stream_of(store::EventStore& store, const EntitySpec& spec,
                                             const std::string& id) {
  return store.read_stream(projections::stream_id_of(spec, id));
}

std::optional<EntityState> load(store::EventStore& store, const EntitySpec& spec,
                                const std::string& id) {
  std::optional<EntityState> state;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    state = projections::load_entity(tx, spec, id);
    return store::Verdict::commit;
  });
  return state;
}

std::map<std::string, EntityState> dump_read_models(store::EventStore& store) {
  // Statements with static storage, as store::Transaction requires.
  static const std::vector<std::string> select_ids = [] {
    std::vector<std::string> sql;
    for (const auto& spec : events::all_entities()) {
      sql.push_back("SELECT id FROM " + std::string(spec.table) + " ORDER BY id");
    }
    return sql;
  }();
  std::map<std::string, EntityState> rows;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    rows.clear();
    const auto entities = events::all_entities();
    for (std::size_t i = 0; i < entities.size(); ++i) {
      for (const auto& row : tx.query(select_ids[i].c_str(), {})) {
        const auto& id = std::get<std::string>(row[0]);
        rows.emplace(std::string(entities[i].type) + "/" + id,
                     *projections::load_entity(tx, entities[i], id));
      }
    }
    return store::Verdict::commit;
  });
  return rows;
}

std::optional<std::string> password_hash_of(store::EventStore& store, const std::string& user_id) {
  std::optional<std::string> hash;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    const store::SqlValue param{user_id};
    const auto rows = tx.query("SELECT password_hash FROM user_credentials WHERE user_id = $1",
                               std::span(&param, 1));
    if (!rows.empty()) hash = std::get<std::string>(rows[0][0]);
    return store::Verdict::commit;
  });
  return hash;
}

std::int64_t log_head(store::EventStore& store, std::int64_t from) {
  for (auto page = store.read_all(from, 1000); !page.empty(); page = store.read_all(from, 1000)) {
    from = page.back().global_position;
  }
  return from;
}

EntityState without_timestamps(EntityState state) {
  state.created_at.clear();
  state.updated_at.clear();
  return state;
}

// ---- contexts ----------------------------------------------------------------------------

CommandContext context_for(const std::string& user_id, const std::string& request_id) {
  commands::Actor actor = commands::Actor::system_actor();
  actor.user_id = user_id;
  return CommandContext{actor, request_id, ""};
}

std::string user_uuid(int n) {
  return "0000a11c-0000-4000-8000-" + hex(static_cast<unsigned long>(n), 12);
}

// ---- the fixture -------------------------------------------------------------------------

void DomainTest::SetUp() {
  try {
    db_ = TestDatabase::create_migrated(GetParam());
    store_ = db_->open_store();
    handler_ = std::make_unique<CommandHandler>(*store_,
                                                commands::PasswordPolicy::fast_for_tests());
    queries_ = std::make_unique<commands::EntityQueries>(*store_);
  } catch (const std::exception& e) {
    FAIL() << "cannot set up a fresh " << backend_name(GetParam()) << " database: " << e.what();
  }
}

void DomainTest::TearDown() {
  queries_.reset();
  handler_.reset();
  store_.reset();
  db_.reset();
}

// ---- the World ---------------------------------------------------------------------------

FieldMap apply_plan(const EntitySpec& spec, const FieldMap& current, const UpdatePlan& plan) {
  FieldMap fields = current;
  for (const auto& [name, value] : plan.normalized) {
    if (events::is_null(value)) {
      fields.erase(name);
    } else {
      fields[name] = value;
    }
  }
  if (spec.type == "project_phase") {
    fields["total_budget"] = money(cents(fields.at("capital_budget")) +
                                   cents(fields.at("expense_budget")));
  }
  return fields;
}

World::World(CommandHandler& handler, unsigned prefix, CommandContext context)
    : handler_(handler), context_(std::move(context)), prefix_(prefix) {}

std::string World::next_id() {
  return hex(prefix_, 8) + "-0000-4000-8000-" + hex(static_cast<unsigned long>(++counter_), 12);
}

std::string World::text(Random& r, int max_chars) {
  std::string core;
  if (r.chance(8)) {
    // As long as allowed, in characters (multi-byte ones make it longer in bytes).
    const std::string& piece = r.pick(kLongPieces);
    core = "L";
    for (int i = 1; i < max_chars; ++i) core += piece;
    return core;
  }
  const int n = r.between(1, std::min(10, max_chars));
  for (int i = 0; i < n; ++i) {
    std::string piece = r.pick(kTextPieces);
    if ((i == 0 || i == n - 1) && piece == " ") piece = "x";
    core += piece;
  }
  return core;
}

std::string World::unique_text(Random& r, std::string_view base, int max_chars) {
  std::string core = std::string(base) + " " + hex(prefix_, 8) + "." +
                     std::to_string(++unique_counter_);
  if (r.chance(40)) {
    const std::string tail = text(r, 8);
    core += " " + tail;
  }
  require(static_cast<int>(core.size()) <= max_chars, "unique text fits");
  return core;
}

Outcome World::run_create(const CreateEntity& command) {
  return handler_.create(context_, command);
}

EntityState World::create(Random& r, std::string_view type) {
  CreatePlan plan = create_plan(r, type);
  const Outcome outcome = run_create(plan.command);
  const std::string what = "create " + std::string(type) + " " + describe(plan.command.fields);
  require_ok(outcome, what);
  require(outcome.created, what + ": reported as created");
  require(outcome.entity.version == 1, what + ": version 1, got " + describe(outcome.entity));
  require(outcome.entity.id == plan.command.id, what + ": keeps the client's id");
  require(outcome.entity.fields == plan.expected,
          what + ": fields " + describe(outcome.entity.fields) + " want " +
              describe(plan.expected));
  return outcome.entity;
}

std::string World::make_parent(Random& r, std::string_view type) { return create(r, type).id; }

std::string World::portfolio(Random& r) {
  if (portfolios_.empty() || r.chance(15)) portfolios_.push_back(make_parent(r, "portfolio"));
  return r.pick(portfolios_);
}

std::string World::program(Random& r) {
  if (programs_.empty() || r.chance(15)) programs_.push_back(make_parent(r, "program"));
  return r.pick(programs_);
}

std::string World::worker_type(Random& r) {
  if (worker_types_.empty() || r.chance(15)) worker_types_.push_back(make_parent(r, "worker_type"));
  return r.pick(worker_types_);
}

std::string World::resource(Random& r) {
  if (resources_.empty() || r.chance(15)) resources_.push_back(make_parent(r, "resource"));
  return r.pick(resources_);
}

std::string World::user_role(Random& r) {
  if (user_roles_.empty() || r.chance(15)) user_roles_.push_back(make_parent(r, "user_role"));
  return r.pick(user_roles_);
}

std::string World::long_project(Random& r) {
  if (!long_project_.empty()) return long_project_;
  CreateEntity command{&spec_of("project"), next_id(), std::nullopt, {}};
  command.fields = {{"program_id", program(r)},
                    {"name", "Long project " + hex(prefix_, 8)},
                    {"business_sponsor", "Sponsor"},
                    {"project_manager", "Manager"},
                    {"technical_lead", "Lead"},
                    {"start_date", kLongProjectStart},
                    {"end_date", kLongProjectEnd},
                    {"cost_center_code", unique_text(r, "LP", 50)}};
  long_project_ = require_ok(run_create(command), "create the long project").entity.id;
  return long_project_;
}

std::string World::next_child_day() {
  if (child_day_ >= kChildDays) {
    // Start over in a new long project with new resources and workers, so that no
    // resource-day or worker-day is used twice.
    child_day_ = 0;
    long_project_.clear();
    resources_.clear();
    actual_workers_.clear();
    assignments_.clear();
  }
  return add_days(kLongProjectStart, child_day_++);
}

std::string World::assignment(Random& r) {
  if (assignments_.empty() || r.chance(30)) {
    CreatePlan plan = create_plan(r, "resource_assignment");
    const Outcome outcome = run_create(plan.command);
    require_ok(outcome, "create a parent assignment");
    assignment_split_[outcome.entity.id] = {
        std::get<std::int64_t>(plan.expected.at("capital_percentage")),
        std::get<std::int64_t>(plan.expected.at("expense_percentage"))};
    assignments_.push_back(outcome.entity.id);
  }
  return r.pick(assignments_);
}

std::string World::actual_worker(Random& r) {
  if (actual_worker_type_.empty()) {
    actual_worker_type_ = make_parent(r, "worker_type");
    actual_rate_cents_ = r.between(1, 1'000'000);
    CreateEntity rate{&spec_of("rate"), next_id(), std::nullopt, {}};
    rate.fields = {{"worker_type_id", actual_worker_type_},
                   {"rate_amount", money(actual_rate_cents_)},
                   {"start_date", "2000-01-01"}};
    require_ok(run_create(rate), "create the actuals' rate");
  }
  if (actual_workers_.empty() || r.chance(20)) {
    CreateEntity worker{&spec_of("worker"), next_id(), std::nullopt, {}};
    worker.fields = {{"worker_type_id", actual_worker_type_},
                     {"external_id", unique_text(r, "W", 100)},
                     {"name", text(r, 255)}};
    actual_workers_.push_back(require_ok(run_create(worker), "create a worker").entity.id);
  }
  return r.pick(actual_workers_);
}

CreatePlan World::create_plan(Random& r, std::string_view type) {
  const EntitySpec& spec = spec_of(type);
  CreatePlan plan;
  plan.command.spec = &spec;
  plan.command.id = next_id();
  if (r.chance(20)) plan.command.version = 1;
  FieldMap& sent = plan.command.fields;
  FieldMap& want = plan.expected;
  const std::string& id = plan.command.id;

  auto put = [&](const std::string& field, FieldValue value) {
    sent[field] = value;
    want[field] = std::move(value);
  };
  auto put_text = [&](const std::string& field, const std::string& core) {
    std::string padded = core;
    if (r.chance(20)) padded = r.pick(kPads) + padded;
    if (r.chance(20)) padded += r.pick(kPads);
    sent[field] = padded;
    want[field] = core;
  };
  auto opt_text = [&](const std::string& field, int max_chars) {
    const int choice = r.between(0, 3);
    if (choice == 0) return;                                // absent
    if (choice == 1) return void(sent[field] = FieldValue{});  // null: absent as well
    put_text(field, text(r, max_chars));
  };
  auto reference = [&](const std::string& field, const std::string& target) {
    // Upper-case ids are accepted and stored lower-case.
    std::string sent_id = target;
    if (r.chance(10)) {
      for (auto& c : sent_id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    sent[field] = sent_id;
    want[field] = target;
  };
  auto active_flag = [&] {
    const int choice = r.between(0, 3);
    if (choice == 0) {
      want["is_active"] = true;  // default
    } else if (choice == 1) {
      sent["is_active"] = FieldValue{};  // null: the default as well
      want["is_active"] = true;
    } else {
      put("is_active", choice == 2);
    }
  };
  auto budget = [&](const std::string& field) -> std::int64_t {
    const int choice = r.between(0, 3);
    if (choice == 0) {
      want[field] = std::string("0.00");
      return 0;
    }
    if (choice == 1) {
      sent[field] = FieldValue{};
      want[field] = std::string("0.00");
      return 0;
    }
    const std::int64_t value = r.between(0, 2'000'000'000);
    put(field, money(value));
    if (choice == 3) sent[field] = "000" + money(value);  // leading zeros are normalized
    return value;
  };
  auto date_pair = [&](const char* start_field, const char* end_field) {
    const std::string start = add_days("2015-01-01", r.between(0, 3000));
    put(start_field, start);
    put(end_field, add_days(start, r.between(1, 2000)));
  };

  if (type == "portfolio") {
    put_text("name", unique_text(r, "Portfolio", 255));
    put_text("description", text(r, 1000));
    put_text("owner", text(r, 255));
    date_pair("reporting_start_date", "reporting_end_date");
  } else if (type == "program") {
    reference("portfolio_id", portfolio(r));
    put_text("name", unique_text(r, "Program", 255));
    put_text("business_sponsor", text(r, 255));
    put_text("program_manager", text(r, 255));
    put_text("technical_lead", text(r, 255));
    date_pair("start_date", "end_date");
    opt_text("description", 1000);
  } else if (type == "project") {
    reference("program_id", program(r));
    put_text("name", text(r, 255));
    put_text("business_sponsor", text(r, 255));
    put_text("project_manager", text(r, 255));
    put_text("technical_lead", text(r, 255));
    date_pair("start_date", "end_date");
    put_text("cost_center_code", unique_text(r, "CC", 50));
    opt_text("description", 1000);
  } else if (type == "project_phase") {
    if (phase_projects_.empty() ||
        add_days(phase_projects_.back().next_slot, 19) > phase_projects_.back().end) {
      CreateEntity project{&spec_of("project"), next_id(), std::nullopt, {}};
      project.fields = {{"program_id", program(r)},
                        {"name", "Phases " + hex(prefix_, 8)},
                        {"business_sponsor", "Sponsor"},
                        {"project_manager", "Manager"},
                        {"technical_lead", "Lead"},
                        {"start_date", "2020-01-01"},
                        {"end_date", "2021-12-31"},
                        {"cost_center_code", unique_text(r, "PP", 50)}};
      const auto created = require_ok(run_create(project), "create a phases project");
      phase_projects_.push_back({created.entity.id, "2020-01-01", "2021-12-31"});
    }
    PhaseProject& parent = phase_projects_.back();
    const Slot slot{parent.next_slot, add_days(parent.next_slot, 19)};
    parent.next_slot = add_days(parent.next_slot, 20);
    slots_[id] = slot;
    reference("project_id", parent.id);
    put_text("name", text(r, 100));
    const std::string start = add_days(slot.start, r.between(0, 9));
    put("start_date", start);
    put("end_date", add_days(start, r.between(0, 9)));
    const std::int64_t total = budget("capital_budget") + budget("expense_budget");
    want["total_budget"] = money(total);
    opt_text("description", 500);
  } else if (type == "resource") {
    put_text("name", text(r, 255));
    put("resource_type", r.pick(kResourceTypes));
    opt_text("description", 1000);
  } else if (type == "worker_type") {
    put_text("type", unique_text(r, "Type", 100));
    put_text("description", text(r, 1000));
  } else if (type == "worker") {
    reference("worker_type_id", worker_type(r));
    put_text("external_id", unique_text(r, "EXT", 100));
    put_text("name", text(r, 255));
  } else if (type == "resource_assignment") {
    const std::string date = next_child_day();
    reference("project_id", long_project(r));
    reference("resource_id", resource(r));
    put("assignment_date", date);
    const int capital = r.between(0, 100);
    put("capital_percentage", std::int64_t{capital});
    put("expense_percentage", std::int64_t{r.between(0, 100 - capital)});
  } else if (type == "rate") {
    Slot slot;
    std::string worker_type_id;
    if (r.chance(30)) {
      worker_type_id = make_parent(r, "worker_type");  // alone under its type
      slot.open_ended = true;
      const std::string start = add_days("2018-01-01", r.between(0, 2000));
      put("start_date", start);
      const int end = r.between(0, 2);
      if (end == 1) sent["end_date"] = FieldValue{};
      if (end == 2) put("end_date", add_days(start, r.between(1, 900)));
    } else {
      if (rate_worker_type_.empty()) {
        rate_worker_type_ = make_parent(r, "worker_type");
        next_rate_slot_ = "2000-01-01";
      }
      worker_type_id = rate_worker_type_;
      slot.start = next_rate_slot_;
      slot.end = add_days(slot.start, 59);
      next_rate_slot_ = add_days(next_rate_slot_, 60);
      const std::string start = add_days(slot.start, r.between(0, 20));
      put("start_date", start);
      put("end_date", add_days(start, r.between(1, 38)));
    }
    slots_[id] = slot;
    reference("worker_type_id", worker_type_id);
    put("rate_amount", money(r.between(1, 100'000'000)));
  } else if (type == "actual") {
    const std::string date = next_child_day();
    reference("project_id", long_project(r));
    reference("worker_id", actual_worker(r));
    put("actual_date", date);
    const int allocation = r.between(0, 100);
    put("allocation_percentage", std::int64_t{allocation});
    std::pair<std::int64_t, std::int64_t> ratio{1, 1};
    const int link = r.between(0, 4);
    if (link >= 3) {
      const std::string assignment_id = assignment(r);
      reference("resource_assignment_id", assignment_id);
      const auto split = assignment_split_.at(assignment_id);
      if (split.first + split.second > 0) ratio = split;
    } else if (link == 2) {
      sent["resource_assignment_id"] = FieldValue{};
    }
    std::int64_t cost = 0;
    const int cost_choice = r.between(0, 3);
    if (cost_choice <= 1) {
      cost = (actual_rate_cents_ * allocation + 50) / 100;  // rate x allocation, to the cent
      want["actual_cost"] = money(cost);
      if (cost_choice == 1) sent["actual_cost"] = FieldValue{};
    } else {
      cost = r.between(0, 10'000'000);
      put("actual_cost", money(cost));
    }
    switch (r.between(0, 3)) {
      case 0: {  // split computed: the ratio, capital rounded down, the odd cent to expense
        const std::int64_t capital = cost * ratio.first / (ratio.first + ratio.second);
        want["capital_amount"] = money(capital);
        want["expense_amount"] = money(cost - capital);
        break;
      }
      case 1: {
        const std::int64_t capital = r.between(0, static_cast<int>(cost));
        put("capital_amount", money(capital));
        want["expense_amount"] = money(cost - capital);
        break;
      }
      case 2: {
        const std::int64_t expense = r.between(0, static_cast<int>(cost));
        put("expense_amount", money(expense));
        want["capital_amount"] = money(cost - expense);
        break;
      }
      default: {
        const std::int64_t capital = r.between(0, static_cast<int>(cost));
        put("capital_amount", money(capital));
        put("expense_amount", money(cost - capital));
        break;
      }
    }
  } else if (type == "user") {
    put_text("username", unique_text(r, "user", 100));
    put_text("email", "user." + hex(prefix_, 8) + "." + std::to_string(++unique_counter_) +
                          "@example.com");
    active_flag();
    std::string password = r.chance(20) ? " " : "";  // kept as sent: never trimmed
    const int length = r.between(8, 16);                  // characters
    for (int i = 0; i < length; ++i) password += r.pick(kTextPieces);
    sent["password"] = password;
    plan.password = password;
  } else if (type == "user_role") {
    reference("user_id", make_parent(r, "user"));
    put("role_type", r.pick(kRoleTypes));
    active_flag();
  } else if (type == "scope_assignment") {
    reference("user_role_id", user_role(r));
    const std::string& scope = r.pick(kScopeTypes);
    put("scope_type", scope);
    if (scope == "program") reference("program_id", program(r));
    if (scope == "project") reference("project_id", long_project(r));
    if (scope != "program" && r.chance(30)) sent["program_id"] = FieldValue{};
    if (scope != "project" && r.chance(30)) sent["project_id"] = FieldValue{};
    active_flag();
  } else {
    throw std::invalid_argument("no create plan for " + std::string(type));
  }
  return plan;
}

UpdatePlan World::update_plan(Random& r, std::string_view type, const EntityState& current) {
  const EntitySpec& spec = spec_of(type);
  UpdatePlan plan;
  const auto& cur = current.fields;
  auto put = [&](const std::string& field, FieldValue value) {
    plan.sent[field] = value;
    plan.normalized[field] = std::move(value);
  };
  auto put_text = [&](const std::string& field, const std::string& core) {
    std::string padded = core;
    if (r.chance(20)) padded = r.pick(kPads) + padded;
    if (r.chance(20)) padded += r.pick(kPads);
    plan.sent[field] = padded;
    plan.normalized[field] = core;
  };
  auto clear = [&](const std::string& field) { put(field, FieldValue{}); };
  auto opt_text = [&](const std::string& field, int max_chars) {
    if (r.chance(30)) return clear(field);
    put_text(field, text(r, max_chars));
  };
  auto maybe = [&](auto&& piece) {
    if (r.chance(35)) piece();
  };
  auto date_of = [&](const char* field) { return std::get<std::string>(cur.at(field)); };
  auto date_pair = [&](const char* start_field, const char* end_field) {
    switch (r.between(0, 2)) {
      case 0: {
        const std::string start = add_days("2015-01-01", r.between(0, 3000));
        put(start_field, start);
        put(end_field, add_days(start, r.between(1, 2000)));
        break;
      }
      case 1:
        put(end_field, add_days(date_of(start_field), r.between(1, 2000)));
        break;
      default:
        put(start_field, add_days(date_of(end_field), -r.between(1, 2000)));
        break;
    }
  };
  auto active_flag = [&] { maybe([&] { put("is_active", r.chance(50)); }); };

  if (type == "portfolio") {
    maybe([&] { put_text("name", unique_text(r, "Portfolio", 255)); });
    maybe([&] { put_text("description", text(r, 1000)); });
    maybe([&] { put_text("owner", text(r, 255)); });
    maybe([&] { date_pair("reporting_start_date", "reporting_end_date"); });
  } else if (type == "program") {
    maybe([&] { put("portfolio_id", portfolio(r)); });
    maybe([&] { put_text("name", unique_text(r, "Program", 255)); });
    maybe([&] { put_text("business_sponsor", text(r, 255)); });
    maybe([&] { put_text("program_manager", text(r, 255)); });
    maybe([&] { put_text("technical_lead", text(r, 255)); });
    maybe([&] { date_pair("start_date", "end_date"); });
    maybe([&] { opt_text("description", 1000); });
  } else if (type == "project") {
    maybe([&] { put("program_id", program(r)); });
    maybe([&] { put_text("name", text(r, 255)); });
    maybe([&] { put_text("business_sponsor", text(r, 255)); });
    maybe([&] { put_text("project_manager", text(r, 255)); });
    maybe([&] { put_text("technical_lead", text(r, 255)); });
    maybe([&] { date_pair("start_date", "end_date"); });
    maybe([&] { put_text("cost_center_code", unique_text(r, "CC", 50)); });
    maybe([&] { opt_text("description", 1000); });
  } else if (type == "project_phase") {
    const Slot& slot = slots_.at(current.id);
    maybe([&] { put_text("name", text(r, 100)); });
    maybe([&] {
      const std::string start = add_days(slot.start, r.between(0, 9));
      put("start_date", start);
      put("end_date", add_days(start, r.between(0, 9)));
    });
    maybe([&] { put("capital_budget", money(r.between(0, 2'000'000'000))); });
    maybe([&] { put("expense_budget", money(r.between(0, 2'000'000'000))); });
    maybe([&] { opt_text("description", 500); });
  } else if (type == "resource") {
    maybe([&] { put_text("name", text(r, 255)); });
    maybe([&] { put("resource_type", r.pick(kResourceTypes)); });
    maybe([&] { opt_text("description", 1000); });
  } else if (type == "worker_type") {
    maybe([&] { put_text("type", unique_text(r, "Type", 100)); });
    maybe([&] { put_text("description", text(r, 1000)); });
  } else if (type == "worker") {
    maybe([&] { put("worker_type_id", worker_type(r)); });
    maybe([&] { put_text("external_id", unique_text(r, "EXT", 100)); });
    maybe([&] { put_text("name", text(r, 255)); });
  } else if (type == "resource_assignment") {
    const auto capital = std::get<std::int64_t>(cur.at("capital_percentage"));
    const auto expense = std::get<std::int64_t>(cur.at("expense_percentage"));
    maybe([&] {
      switch (r.between(0, 2)) {
        case 0: {
          const int c = r.between(0, 100);
          put("capital_percentage", std::int64_t{c});
          put("expense_percentage", std::int64_t{r.between(0, 100 - c)});
          break;
        }
        case 1:
          put("capital_percentage", std::int64_t{r.between(0, static_cast<int>(100 - expense))});
          break;
        default:
          put("expense_percentage", std::int64_t{r.between(0, static_cast<int>(100 - capital))});
          break;
      }
    });
    // Fixed fields may be sent again unchanged.
    maybe([&] { put("resource_id", cur.at("resource_id")); });
    maybe([&] { put("assignment_date", cur.at("assignment_date")); });
  } else if (type == "rate") {
    const Slot& slot = slots_.at(current.id);
    maybe([&] { put("rate_amount", money(r.between(1, 100'000'000))); });
    maybe([&] {
      if (slot.open_ended) {
        const std::string start = add_days("2018-01-01", r.between(0, 2000));
        put("start_date", start);
        if (r.chance(50)) {
          clear("end_date");
        } else {
          put("end_date", add_days(start, r.between(1, 900)));
        }
      } else {
        const std::string start = add_days(slot.start, r.between(0, 20));
        put("start_date", start);
        put("end_date", add_days(start, r.between(1, 38)));
      }
    });
  } else if (type == "actual") {
    maybe([&] { put("allocation_percentage", std::int64_t{r.between(0, 100)}); });
    maybe([&] {
      const int cost = r.between(0, 10'000'000);
      const int capital = r.between(0, cost);
      put("actual_cost", money(cost));
      put("capital_amount", money(capital));
      put("expense_amount", money(cost - capital));
    });
    maybe([&] {
      if (r.chance(30)) {
        clear("resource_assignment_id");
      } else {
        put("resource_assignment_id", assignment(r));
      }
    });
    maybe([&] {
      const std::string date = next_child_day();
      put("actual_date", date);
      put("project_id", long_project(r));
      put("worker_id", actual_worker(r));
    });
  } else if (type == "user") {
    maybe([&] { put_text("username", unique_text(r, "user", 100)); });
    maybe([&] {
      put_text("email", "user." + hex(prefix_, 8) + "." + std::to_string(++unique_counter_) +
                            "@example.com");
    });
    active_flag();
    maybe([&] {
      std::string password;
      const int length = r.between(8, 16);
      for (int i = 0; i < length; ++i) password += r.pick(kTextPieces);
      plan.sent["password"] = password;
      plan.password = password;
    });
  } else if (type == "user_role") {
    maybe([&] { put("role_type", r.pick(kRoleTypes)); });
    active_flag();
  } else if (type == "scope_assignment") {
    active_flag();
    maybe([&] {
      const std::string& scope = r.pick(kScopeTypes);
      put("scope_type", scope);
      if (scope == "program") {
        put("program_id", program(r));
      } else {
        clear("program_id");
      }
      if (scope == "project") {
        put("project_id", long_project(r));
      } else {
        clear("project_id");
      }
    });
  } else {
    throw std::invalid_argument("no update plan for " + std::string(spec.type));
  }
  return plan;
}

}  // namespace folio::testing
