// The rules of DOMAIN.md across entities, example by example, on both backends: unique
// values (409 naming the other entity), foreign keys missing or deleted (422), dates inside
// the parent (422), phase and rate overlap (409), capacity per resource-day and a worker's
// allocation per day (409), delete refused while children exist (409), actual cost from
// the active rate and its split, users and their passwords. A refused command writes nothing.
#include <gtest/gtest.h>

#include <cctype>

#include "commands/passwords.h"
#include "events/payload_codec.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

class Rules : public DomainTest {
 protected:
  std::string id() {
    const std::string n = std::to_string(++n_);
    return "0000e1e0-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
  }
  std::string unique(const std::string& base) { return base + " " + std::to_string(++n_); }

  Outcome create(const std::string& type, FieldMap fields, std::string with_id = "") {
    return handler_->create(context_for(user_uuid(1)),
                            CreateEntity{&spec_of(type), with_id.empty() ? id() : with_id,
                                         std::nullopt, std::move(fields)});
  }
  EntityState make(const std::string& type, FieldMap fields) {
    const Outcome o = create(type, fields);
    EXPECT_TRUE(o.ok()) << "create " << type << " " << describe(fields) << ": " << describe(o);
    return o.entity;
  }
  Outcome update(const EntityState& state, const std::string& type, FieldMap fields) {
    return handler_->update(context_for(user_uuid(1)),
                            UpdateEntity{&spec_of(type), state.id, state.version, std::move(fields)});
  }
  Outcome remove(const EntityState& state, const std::string& type) {
    return handler_->remove(context_for(user_uuid(1)),
                            DeleteEntity{&spec_of(type), state.id, state.version});
  }
  EntityState reload(const EntityState& state, const std::string& type) {
    return *load(*store_, spec_of(type), state.id);
  }

  EntityState portfolio(const std::string& name = "") {
    return make("portfolio", {{"name", name.empty() ? unique("Portfolio") : name},
                              {"description", std::string("d")},
                              {"owner", std::string("o")},
                              {"reporting_start_date", std::string("2020-01-01")},
                              {"reporting_end_date", std::string("2030-12-31")}});
  }
  EntityState program(const std::string& portfolio_id = "", const std::string& name = "") {
    return make("program", {{"portfolio_id", portfolio_id.empty() ? portfolio().id : portfolio_id},
                            {"name", name.empty() ? unique("Program") : name},
                            {"business_sponsor", std::string("s")},
                            {"program_manager", std::string("m")},
                            {"technical_lead", std::string("t")},
                            {"start_date", std::string("2020-01-01")},
                            {"end_date", std::string("2030-12-31")}});
  }
  FieldMap project_fields(const std::string& program_id, const std::string& start,
                          const std::string& end) {
    return {{"program_id", program_id},
            {"name", std::string("Project")},
            {"business_sponsor", std::string("s")},
            {"project_manager", std::string("m")},
            {"technical_lead", std::string("t")},
            {"start_date", start},
            {"end_date", end},
            {"cost_center_code", unique("CC")}};
  }
  EntityState project(const std::string& start = "2020-01-01", const std::string& end = "2020-12-31",
                      std::string program_id = "") {
    if (program_id.empty()) program_id = program().id;
    return make("project", project_fields(program_id, start, end));
  }
  FieldMap phase_fields(const std::string& project_id, const std::string& start,
                        const std::string& end) {
    return {{"project_id", project_id}, {"name", std::string("Phase")},
            {"start_date", start},      {"end_date", end}};
  }
  EntityState resource() {
    return make("resource", {{"name", std::string("R")}, {"resource_type", std::string("labor")}});
  }
  EntityState worker_type(const std::string& type = "") {
    return make("worker_type", {{"type", type.empty() ? unique("Type") : type},
                                {"description", std::string("d")}});
  }
  EntityState worker(const std::string& worker_type_id = "", const std::string& external_id = "") {
    return make("worker", {{"worker_type_id", worker_type_id.empty() ? worker_type().id : worker_type_id},
                           {"external_id", external_id.empty() ? unique("EXT") : external_id},
                           {"name", std::string("W")}});
  }
  FieldMap assignment_fields(const std::string& resource_id, const std::string& project_id,
                             const std::string& date, std::int64_t capital, std::int64_t expense) {
    return {{"resource_id", resource_id},
            {"project_id", project_id},
            {"assignment_date", date},
            {"capital_percentage", capital},
            {"expense_percentage", expense}};
  }
  FieldMap rate_fields(const std::string& worker_type_id, const std::string& amount,
                       const std::string& start, const std::string& end = "") {
    FieldMap f{{"worker_type_id", worker_type_id}, {"rate_amount", amount}, {"start_date", start}};
    if (!end.empty()) f["end_date"] = end;
    return f;
  }
  FieldMap actual_fields(const std::string& project_id, const std::string& worker_id,
                         const std::string& date, std::int64_t allocation) {
    return {{"project_id", project_id},
            {"worker_id", worker_id},
            {"actual_date", date},
            {"allocation_percentage", allocation}};
  }
  FieldMap user_fields(const std::string& username, const std::string& email,
                       const std::string& password = "correct horse battery") {
    return {{"username", username}, {"email", email}, {"password", password}};
  }

  // Nothing was written by `what` since `head`.
  void expect_nothing_written(std::int64_t head, const std::string& what) {
    EXPECT_TRUE(store_->read_all(head, 10).empty()) << what << " wrote an event";
  }
  std::int64_t head() { return head_ = log_head(*store_, head_); }

  void expect_constraint(const Outcome& o, const std::string& rule, const std::string& other_type,
                         const std::string& other_id) {
    ASSERT_EQ(o.kind, Kind::constraint) << describe(o);
    EXPECT_EQ(o.constraint.rule, rule);
    EXPECT_EQ(o.constraint.other_entity_type, other_type);
    EXPECT_EQ(o.constraint.other_entity_id, other_id);
    EXPECT_FALSE(o.constraint.message.empty());
  }
  void expect_invalid(const Outcome& o, const std::vector<std::string>& fields) {
    ASSERT_EQ(o.kind, Kind::validation) << describe(o);
    std::vector<std::string> got;
    for (const auto& e : o.errors) got.push_back(e.field);
    EXPECT_EQ(got, fields) << describe(o);
  }

  int n_ = 0;
  std::int64_t head_ = 0;
};

// ---- unique values -----------------------------------------------------------------------

TEST_P(Rules, UniqueValuesAreRefusedNamingTheOtherEntity) {
  const auto wt = worker_type();
  struct Case {
    std::string type, field;
    std::function<FieldMap(const std::string&, const std::string&)> fields;  // (value, n)
  };
  const auto p = portfolio();
  const auto g = program();
  const std::vector<Case> cases = {
      {"portfolio", "name",
       [&](const std::string& v, const std::string&) {
         return FieldMap{{"name", v}, {"description", std::string("d")}, {"owner", std::string("o")},
                         {"reporting_start_date", std::string("2020-01-01")},
                         {"reporting_end_date", std::string("2020-12-31")}};
       }},
      {"program", "name",
       [&](const std::string& v, const std::string&) {
         return FieldMap{{"portfolio_id", p.id}, {"name", v}, {"business_sponsor", std::string("s")},
                         {"program_manager", std::string("m")}, {"technical_lead", std::string("t")},
                         {"start_date", std::string("2020-01-01")}, {"end_date", std::string("2020-12-31")}};
       }},
      {"project", "cost_center_code",
       [&](const std::string& v, const std::string&) {
         auto f = project_fields(g.id, "2020-01-01", "2020-12-31");
         f["cost_center_code"] = v;
         return f;
       }},
      {"worker_type", "type",
       [&](const std::string& v, const std::string&) {
         return FieldMap{{"type", v}, {"description", std::string("d")}};
       }},
      {"worker", "external_id",
       [&](const std::string& v, const std::string&) {
         return FieldMap{{"worker_type_id", wt.id}, {"external_id", v}, {"name", std::string("n")}};
       }},
      {"user", "username",
       [&](const std::string& v, const std::string& n) {
         return user_fields(v, "u" + n + "@example.com");
       }},
      {"user", "email",
       [&](const std::string& v, const std::string& n) { return user_fields("user " + n, v); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.type + "." + c.field);
    const std::string value = c.field == "email" ? "taken" + std::to_string(++n_) + "@example.com"
                                                 : unique("Taken");
    const EntityState holder = make(c.type, c.fields(value, std::to_string(++n_)));
    // The same value, also after trimming, from another entity.
    const std::int64_t before = head();
    expect_constraint(create(c.type, c.fields("  " + value + "\t", std::to_string(++n_))),
                      "unique_" + c.field, c.type, holder.id);
    expect_nothing_written(before, "a refused create");
    // An update to the taken value.
    const std::string other_value =
        c.field == "email" ? "free" + std::to_string(++n_) + "@example.com" : unique("Free");
    const EntityState other = make(c.type, c.fields(other_value, std::to_string(++n_)));
    head();
    expect_constraint(update(other, c.type, {{c.field, value}}), "unique_" + c.field, c.type,
                      holder.id);
    expect_nothing_written(head_, "a refused update");
    // Updating the holder with its own value is no collision.
    EXPECT_TRUE(update(holder, c.type, {{c.field, value}}).ok());
    // Once the holder is deleted the value is free again.
    ASSERT_TRUE(remove(reload(holder, c.type), c.type).ok());
    EXPECT_TRUE(update(other, c.type, {{c.field, value}}).ok());
  }
}

// Usernames and emails are stored as given but compared regardless of letter case; other
// unique values (names, codes) keep exact comparison.
TEST_P(Rules, UsernamesAndEmailsAreUniqueRegardlessOfCase) {
  const auto holder = make("user", user_fields("Grace Hopper", "Grace@Example.com"));
  EXPECT_EQ(projections::text_field(holder.fields, "username"), "Grace Hopper");
  EXPECT_EQ(projections::text_field(holder.fields, "email"), "Grace@Example.com");
  const std::int64_t before = head();
  expect_constraint(create("user", user_fields("GRACE hopper", "g2@example.com")),
                    "unique_username", "user", holder.id);
  expect_constraint(create("user", user_fields("Grace H.", "grace@EXAMPLE.COM")),
                    "unique_email", "user", holder.id);
  expect_nothing_written(before, "a create differing only in case");
  const auto other = make("user", user_fields("Ada", "ada@example.com"));
  head();
  expect_constraint(update(other, "user", {{"username", std::string("grace HOPPER")}}),
                    "unique_username", "user", holder.id);
  expect_nothing_written(head_, "an update differing only in case");
  // The holder may change the case of its own values.
  const auto recased = update(holder, "user", {{"username", std::string("grace hopper")},
                                               {"email", std::string("grace@example.com")}});
  ASSERT_TRUE(recased.ok());
  EXPECT_EQ(projections::text_field(recased.entity.fields, "username"), "grace hopper");
  // Exact comparison elsewhere: "Alpha" and "alpha" are two portfolios.
  const std::string name = unique("Alpha");
  const FieldMap fields{{"name", name},
                        {"description", std::string("d")},
                        {"owner", std::string("o")},
                        {"reporting_start_date", std::string("2020-01-01")},
                        {"reporting_end_date", std::string("2020-12-31")}};
  make("portfolio", fields);
  FieldMap lower_case = fields;
  std::string lowered = name;
  for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  lower_case["name"] = lowered;
  EXPECT_TRUE(create("portfolio", lower_case).ok());
}

TEST_P(Rules, CompositeKeysAreUnique) {
  const auto user = make("user", user_fields("composite", "composite@example.com"));
  const auto role = make("user_role", {{"user_id", user.id}, {"role_type", std::string("viewer")}});
  expect_constraint(create("user_role", {{"user_id", user.id}, {"role_type", std::string("viewer")}}),
                    "unique_user_role", "user_role", role.id);
  EXPECT_TRUE(create("user_role", {{"user_id", user.id}, {"role_type", std::string("admin")}}).ok());

  const auto r = resource();
  const auto pr = project();
  const auto a = make("resource_assignment", assignment_fields(r.id, pr.id, "2020-05-05", 10, 10));
  expect_constraint(create("resource_assignment", assignment_fields(r.id, pr.id, "2020-05-05", 0, 0)),
                    "unique_resource_assignment", "resource_assignment", a.id);
  ASSERT_TRUE(remove(a, "resource_assignment").ok());
  EXPECT_TRUE(create("resource_assignment", assignment_fields(r.id, pr.id, "2020-05-05", 0, 0)).ok());
}

// ---- foreign keys ------------------------------------------------------------------------

TEST_P(Rules, ForeignKeysMustExistAndNotBeDeleted) {
  const std::string missing = "0000dead-0000-4000-8000-000000000001";
  const auto gone_portfolio = portfolio();
  ASSERT_TRUE(remove(gone_portfolio, "portfolio").ok());
  const auto gone_type = worker_type();
  ASSERT_TRUE(remove(gone_type, "worker_type").ok());

  const std::int64_t before = head();
  expect_invalid(create("program", {{"portfolio_id", missing}, {"name", unique("G")},
                                    {"business_sponsor", std::string("s")},
                                    {"program_manager", std::string("m")},
                                    {"technical_lead", std::string("t")},
                                    {"start_date", std::string("2020-01-01")},
                                    {"end_date", std::string("2020-12-31")}}),
                 {"portfolio_id"});
  expect_invalid(create("program", {{"portfolio_id", gone_portfolio.id}, {"name", unique("G")},
                                    {"business_sponsor", std::string("s")},
                                    {"program_manager", std::string("m")},
                                    {"technical_lead", std::string("t")},
                                    {"start_date", std::string("2020-01-01")},
                                    {"end_date", std::string("2020-12-31")}}),
                 {"portfolio_id"});
  expect_invalid(create("project", project_fields(missing, "2020-01-01", "2020-12-31")),
                 {"program_id"});
  expect_invalid(create("project_phase", phase_fields(missing, "2020-01-01", "2020-01-02")),
                 {"project_id"});
  expect_invalid(create("worker", {{"worker_type_id", gone_type.id}, {"external_id", unique("X")},
                                   {"name", std::string("n")}}),
                 {"worker_type_id"});
  expect_invalid(create("rate", rate_fields(gone_type.id, "1.00", "2020-01-01")), {"worker_type_id"});
  expect_invalid(create("resource_assignment",
                        assignment_fields(missing, missing, "2020-01-01", 1, 1)),
                 {"resource_id", "project_id"});
  expect_invalid(create("actual", actual_fields(missing, missing, "2020-01-01", 10)),
                 {"project_id", "worker_id"});
  expect_invalid(create("user_role", {{"user_id", missing}, {"role_type", std::string("admin")}}),
                 {"user_id"});
  expect_invalid(create("scope_assignment", {{"user_role_id", missing},
                                             {"scope_type", std::string("program")},
                                             {"program_id", missing}}),
                 {"user_role_id", "program_id"});
  expect_nothing_written(before, "refused creates");

  // An update may not move an entity under a deleted parent either.
  const auto g = program();
  head();
  expect_invalid(update(g, "program", {{"portfolio_id", gone_portfolio.id}}), {"portfolio_id"});
  expect_nothing_written(head_, "a refused move");
  EXPECT_TRUE(update(g, "program", {{"portfolio_id", portfolio().id}}).ok());  // a live one
}

// ---- dates -------------------------------------------------------------------------------

TEST_P(Rules, DatesLieInsideTheParentsDates) {
  const auto pr = project("2020-03-01", "2020-06-30");
  const auto r = resource();
  const auto w = worker();
  const std::int64_t before = head();
  expect_invalid(create("project_phase", phase_fields(pr.id, "2020-02-29", "2020-03-10")),
                 {"start_date"});
  expect_invalid(create("project_phase", phase_fields(pr.id, "2020-06-01", "2020-07-01")),
                 {"end_date"});
  expect_invalid(create("project_phase", phase_fields(pr.id, "2020-01-01", "2020-12-31")),
                 {"start_date", "end_date"});
  expect_invalid(create("resource_assignment", assignment_fields(r.id, pr.id, "2020-07-01", 1, 1)),
                 {"assignment_date"});
  auto actual = actual_fields(pr.id, w.id, "2020-02-29", 10);
  actual["actual_cost"] = std::string("1.00");
  expect_invalid(create("actual", actual), {"actual_date"});
  expect_nothing_written(before, "refused creates");
  // The boundaries are inside.
  const auto phase = make("project_phase", phase_fields(pr.id, "2020-03-01", "2020-06-30"));
  EXPECT_TRUE(create("resource_assignment", assignment_fields(r.id, pr.id, "2020-06-30", 1, 1)).ok());
  // An update may not move a phase out either.
  expect_invalid(update(phase, "project_phase", {{"end_date", std::string("2020-07-01")}}),
                 {"end_date"});
}

TEST_P(Rules, AProjectsNewDatesMustStillContainItsChildren) {
  const auto pr = project("2020-03-01", "2020-06-30");
  const auto phase = make("project_phase", phase_fields(pr.id, "2020-04-01", "2020-04-30"));
  const auto r = resource();
  const auto assignment =
      make("resource_assignment", assignment_fields(r.id, pr.id, "2020-06-15", 10, 10));
  const std::int64_t before = head();
  expect_constraint(update(pr, "project", {{"start_date", std::string("2020-04-02")}}),
                    "children_outside_dates", "project_phase", phase.id);
  expect_constraint(update(pr, "project", {{"end_date", std::string("2020-06-14")}}),
                    "children_outside_dates", "resource_assignment", assignment.id);
  expect_nothing_written(before, "refused date changes");
  EXPECT_EQ(reload(pr, "project").version, 1);
  // Dates that still hold every child are fine, up to the children's own boundaries.
  const Outcome narrowed = update(pr, "project", {{"start_date", std::string("2020-04-01")},
                                                  {"end_date", std::string("2020-06-15")}});
  ASSERT_TRUE(narrowed.ok()) << describe(narrowed);
  EXPECT_EQ(narrowed.entity.version, 2);
  // Deleted children no longer hold the dates.
  ASSERT_TRUE(remove(reload(assignment, "resource_assignment"), "resource_assignment").ok());
  EXPECT_TRUE(update(narrowed.entity, "project", {{"end_date", std::string("2020-05-31")}}).ok());
}

TEST_P(Rules, DatesAreOrderedWithinAnEntity) {
  expect_invalid(create("portfolio", {{"name", unique("P")}, {"description", std::string("d")},
                                      {"owner", std::string("o")},
                                      {"reporting_start_date", std::string("2020-01-01")},
                                      {"reporting_end_date", std::string("2020-01-01")}}),
                 {"reporting_end_date"});
  const auto pr = project("2020-01-01", "2020-12-31");
  EXPECT_TRUE(create("project_phase", phase_fields(pr.id, "2020-02-01", "2020-02-01")).ok())
      << "a one-day phase: start = end is allowed";
  expect_invalid(create("project_phase", phase_fields(pr.id, "2020-03-02", "2020-03-01")),
                 {"end_date"});
  const auto wt = worker_type();
  expect_invalid(create("rate", rate_fields(wt.id, "1.00", "2020-01-01", "2020-01-01")),
                 {"end_date"});
  expect_invalid(update(pr, "project", {{"end_date", std::string("2019-12-31")}}), {"end_date"});
}

// ---- overlaps ----------------------------------------------------------------------------

TEST_P(Rules, PhasesOfOneProjectNeverOverlap) {
  const auto pr = project("2020-01-01", "2020-12-31");
  const auto a = make("project_phase", phase_fields(pr.id, "2020-02-10", "2020-02-20"));
  head();
  expect_constraint(create("project_phase", phase_fields(pr.id, "2020-02-20", "2020-02-25")),
                    "phase_overlap", "project_phase", a.id);
  expect_constraint(create("project_phase", phase_fields(pr.id, "2020-02-01", "2020-03-01")),
                    "phase_overlap", "project_phase", a.id);
  expect_constraint(create("project_phase", phase_fields(pr.id, "2020-02-15", "2020-02-15")),
                    "phase_overlap", "project_phase", a.id);
  expect_nothing_written(head_, "refused phases");
  const auto b = make("project_phase", phase_fields(pr.id, "2020-02-21", "2020-02-25"));
  make("project_phase", phase_fields(pr.id, "2020-02-01", "2020-02-09"));
  // Another project's phases may overlap.
  make("project_phase", phase_fields(project().id, "2020-02-10", "2020-02-20"));
  // An update into a sibling's dates is refused; its own dates are no overlap.
  expect_constraint(update(b, "project_phase", {{"start_date", std::string("2020-02-19")}}),
                    "phase_overlap", "project_phase", a.id);
  EXPECT_TRUE(update(b, "project_phase", {{"end_date", std::string("2020-02-28")}}).ok());
  // Deleted phases leave their dates free.
  ASSERT_TRUE(remove(a, "project_phase").ok());
  EXPECT_TRUE(create("project_phase", phase_fields(pr.id, "2020-02-12", "2020-02-18")).ok());
}

TEST_P(Rules, RatesOfOneWorkerTypeNeverOverlap) {
  const auto wt = worker_type();
  const auto open = make("rate", rate_fields(wt.id, "100.00", "2020-01-01"));
  expect_constraint(create("rate", rate_fields(wt.id, "1.00", "2030-01-01", "2030-12-31")),
                    "rate_overlap", "rate", open.id);
  expect_constraint(create("rate", rate_fields(wt.id, "1.00", "2019-06-01", "2020-01-01")),
                    "rate_overlap", "rate", open.id);
  const auto before = make("rate", rate_fields(wt.id, "1.00", "2019-06-01", "2019-12-31"));
  expect_constraint(create("rate", rate_fields(wt.id, "1.00", "2018-01-01", "2019-07-01")),
                    "rate_overlap", "rate", before.id);
  // Overlapping both: the first by id is named.
  expect_constraint(create("rate", rate_fields(wt.id, "1.00", "2018-01-01")), "rate_overlap",
                    "rate", std::min(open.id, before.id));
  // Closing the open-ended rate makes room after it; reopening it then collides.
  const auto closed = update(open, "rate", {{"end_date", std::string("2020-12-31")}});
  ASSERT_TRUE(closed.ok()) << describe(closed);
  const auto after = make("rate", rate_fields(wt.id, "2.00", "2021-01-01"));
  expect_constraint(update(closed.entity, "rate", {{"end_date", FieldValue{}}}), "rate_overlap",
                    "rate", after.id);
  // Another worker type's rates are independent.
  EXPECT_TRUE(create("rate", rate_fields(worker_type().id, "1.00", "2020-01-01")).ok());
}

// ---- capacity and allocation -------------------------------------------------------------

TEST_P(Rules, ResourceCapacityPerDayAcrossProjectsIsAtMost100) {
  const auto r = resource();
  const auto p1 = project(), p2 = project(), p3 = project(), p4 = project();
  const std::string day = "2020-04-01";
  const auto a1 = make("resource_assignment", assignment_fields(r.id, p1.id, day, 30, 20));
  const auto a2 = make("resource_assignment", assignment_fields(r.id, p2.id, day, 30, 0));
  const auto a3 = make("resource_assignment", assignment_fields(r.id, p3.id, day, 0, 20));
  head();
  expect_constraint(create("resource_assignment", assignment_fields(r.id, p4.id, day, 1, 0)),
                    "resource_capacity", "resource_assignment", std::min({a1.id, a2.id, a3.id}));
  expect_constraint(update(a3, "resource_assignment", {{"capital_percentage", std::int64_t{1}}}),
                    "resource_capacity", "resource_assignment", std::min(a1.id, a2.id));
  expect_nothing_written(head_, "refused bookings");
  // Another day, another resource: free.
  EXPECT_TRUE(create("resource_assignment", assignment_fields(r.id, p4.id, "2020-04-02", 100, 0)).ok());
  EXPECT_TRUE(create("resource_assignment", assignment_fields(resource().id, p4.id, day, 100, 0)).ok());
  // Lowering one booking, or deleting it, frees its share.
  ASSERT_TRUE(update(a1, "resource_assignment", {{"expense_percentage", std::int64_t{10}}}).ok());
  EXPECT_TRUE(create("resource_assignment", assignment_fields(r.id, p4.id, day, 5, 5)).ok());
  ASSERT_TRUE(remove(a2, "resource_assignment").ok());
  EXPECT_TRUE(update(a3, "resource_assignment", {{"capital_percentage", std::int64_t{30}}}).ok());
  // Within one assignment: capital + expense <= 100 is a 422.
  expect_invalid(create("resource_assignment", assignment_fields(resource().id, p1.id, day, 60, 41)),
                 {"expense_percentage"});
}

TEST_P(Rules, WorkerAllocationPerDayIsAtMost100) {
  const auto wt = worker_type();
  make("rate", rate_fields(wt.id, "100.00", "2019-01-01"));
  const auto w = worker(wt.id);
  const auto p1 = project(), p2 = project(), p3 = project();
  const auto a1 = make("actual", actual_fields(p1.id, w.id, "2020-05-05", 60));
  const auto a2 = make("actual", actual_fields(p2.id, w.id, "2020-05-05", 40));
  head();
  expect_constraint(create("actual", actual_fields(p3.id, w.id, "2020-05-05", 1)),
                    "worker_allocation", "actual", std::min(a1.id, a2.id));
  expect_constraint(update(a1, "actual", {{"allocation_percentage", std::int64_t{61}}}),
                    "worker_allocation", "actual", a2.id);
  expect_nothing_written(head_, "refused actuals");
  EXPECT_TRUE(create("actual", actual_fields(p3.id, w.id, "2020-05-06", 100)).ok());
  EXPECT_TRUE(create("actual", actual_fields(p3.id, worker(wt.id).id, "2020-05-05", 100)).ok());
  ASSERT_TRUE(update(a1, "actual", {{"allocation_percentage", std::int64_t{59}}}).ok());
  EXPECT_TRUE(create("actual", actual_fields(p3.id, w.id, "2020-05-05", 1)).ok());
}

// ---- delete refused while children exist -------------------------------------------------

TEST_P(Rules, DeleteIsRefusedWhileChildrenExist) {
  struct Family {
    std::string parent_type, child_type;
    std::function<std::pair<EntityState, EntityState>()> make;
  };
  const auto rate_for = [&](const std::string& wt) { make("rate", rate_fields(wt, "10.00", "2019-01-01")); };
  const std::vector<Family> families = {
      {"portfolio", "program", [&] { auto p = portfolio(); return std::pair{p, program(p.id)}; }},
      {"program", "project", [&] { auto g = program(); return std::pair{g, project("2020-01-01", "2020-12-31", g.id)}; }},
      {"project", "project_phase", [&] {
         auto pr = project();
         return std::pair{pr, make("project_phase", phase_fields(pr.id, "2020-01-01", "2020-01-31"))};
       }},
      {"project", "resource_assignment", [&] {
         auto pr = project();
         return std::pair{pr, make("resource_assignment", assignment_fields(resource().id, pr.id, "2020-01-01", 1, 1))};
       }},
      {"resource", "resource_assignment", [&] {
         auto r = resource();
         return std::pair{r, make("resource_assignment", assignment_fields(r.id, project().id, "2020-01-01", 1, 1))};
       }},
      {"worker_type", "worker", [&] { auto wt = worker_type(); return std::pair{wt, worker(wt.id)}; }},
      {"worker_type", "rate", [&] {
         auto wt = worker_type();
         return std::pair{wt, make("rate", rate_fields(wt.id, "1.00", "2020-01-01"))};
       }},
      {"worker", "actual", [&] {
         auto wt = worker_type();
         rate_for(wt.id);
         auto w = worker(wt.id);
         return std::pair{w, make("actual", actual_fields(project().id, w.id, "2020-01-01", 10))};
       }},
      {"project", "actual", [&] {
         auto wt = worker_type();
         rate_for(wt.id);
         auto pr = project();
         return std::pair{pr, make("actual", actual_fields(pr.id, worker(wt.id).id, "2020-01-01", 10))};
       }},
      {"resource_assignment", "actual", [&] {
         auto wt = worker_type();
         rate_for(wt.id);
         auto pr = project();
         auto a = make("resource_assignment", assignment_fields(resource().id, pr.id, "2020-01-01", 1, 1));
         auto f = actual_fields(pr.id, worker(wt.id).id, "2020-01-01", 10);
         f["resource_assignment_id"] = a.id;
         return std::pair{a, make("actual", f)};
       }},
      {"user", "user_role", [&] {
         auto u = make("user", user_fields(unique("u"), "u" + std::to_string(++n_) + "@example.com"));
         return std::pair{u, make("user_role", {{"user_id", u.id}, {"role_type", std::string("viewer")}})};
       }},
      {"user_role", "scope_assignment", [&] {
         auto u = make("user", user_fields(unique("u"), "u" + std::to_string(++n_) + "@example.com"));
         auto role = make("user_role", {{"user_id", u.id}, {"role_type", std::string("viewer")}});
         return std::pair{role, make("scope_assignment", {{"user_role_id", role.id},
                                                          {"scope_type", std::string("global")}})};
       }},
      {"program", "scope_assignment", [&] {
         auto u = make("user", user_fields(unique("u"), "u" + std::to_string(++n_) + "@example.com"));
         auto role = make("user_role", {{"user_id", u.id}, {"role_type", std::string("viewer")}});
         auto g = program();
         return std::pair{g, make("scope_assignment", {{"user_role_id", role.id},
                                                       {"scope_type", std::string("program")},
                                                       {"program_id", g.id}})};
       }},
  };
  for (const auto& family : families) {
    SCOPED_TRACE(family.parent_type + " <- " + family.child_type);
    const auto [parent, child] = family.make();
    head();
    expect_constraint(remove(parent, family.parent_type), "has_children", family.child_type, child.id);
    expect_nothing_written(head_, "a refused delete");
    EXPECT_FALSE(reload(parent, family.parent_type).deleted);
    ASSERT_TRUE(remove(child, family.child_type).ok());
    const Outcome removed = remove(parent, family.parent_type);
    EXPECT_TRUE(removed.ok()) << describe(removed);
  }
}

// ---- actual cost -------------------------------------------------------------------------

TEST_P(Rules, ActualCostComesFromTheActiveRateAndSplitsByTheAssignment) {
  const auto pr = project("2020-01-01", "2021-12-31");
  const auto wt = worker_type();
  make("rate", rate_fields(wt.id, "500.00", "2020-01-01", "2020-06-30"));
  make("rate", rate_fields(wt.id, "100.01", "2020-07-01", "2020-12-31"));
  make("rate", rate_fields(wt.id, "0.03", "2021-01-01"));
  const auto w = worker(wt.id);
  const auto costs = [&](const FieldMap& f) {
    const Outcome o = create("actual", f);
    EXPECT_TRUE(o.ok()) << describe(o);
    if (!o.ok()) return std::string("-");
    return std::get<std::string>(o.entity.fields.at("actual_cost")) + " = " +
           std::get<std::string>(o.entity.fields.at("capital_amount")) + " + " +
           std::get<std::string>(o.entity.fields.at("expense_amount"));
  };
  // The rate of the actual's date x allocation, split 50:50 with the odd cent to expense.
  EXPECT_EQ(costs(actual_fields(pr.id, w.id, "2020-03-01", 50)), "250.00 = 125.00 + 125.00");
  EXPECT_EQ(costs(actual_fields(pr.id, w.id, "2020-06-30", 7)), "35.00 = 17.50 + 17.50");
  EXPECT_EQ(costs(actual_fields(pr.id, w.id, "2020-07-01", 100)), "100.01 = 50.00 + 50.01");
  EXPECT_EQ(costs(actual_fields(pr.id, w.id, "2020-07-02", 0)), "0.00 = 0.00 + 0.00");
  // Rounded to the cent: 0.03 x 50% = 0.015 -> 0.02; 0.03 x 10% = 0.003 -> 0.00.
  EXPECT_EQ(costs(actual_fields(pr.id, w.id, "2021-01-01", 50)), "0.02 = 0.01 + 0.01");
  EXPECT_EQ(costs(actual_fields(pr.id, w.id, "2021-01-02", 10)), "0.00 = 0.00 + 0.00");
  EXPECT_EQ(costs(actual_fields(pr.id, w.id, "2021-01-03", 33)), "0.01 = 0.00 + 0.01");

  // With a linked assignment, its capital:expense ratio; capital rounded down.
  const auto r = resource();
  const auto linked = [&](std::int64_t c, std::int64_t e, const std::string& date, std::int64_t allocation) {
    const auto a = make("resource_assignment", assignment_fields(resource().id, pr.id, date, c, e));
    auto f = actual_fields(pr.id, w.id, date, allocation);
    f["resource_assignment_id"] = a.id;
    return costs(f);
  };
  EXPECT_EQ(linked(30, 50, "2020-02-01", 80), "400.00 = 150.00 + 250.00");
  EXPECT_EQ(linked(1, 2, "2020-08-01", 100), "100.01 = 33.33 + 66.68");
  EXPECT_EQ(linked(100, 0, "2020-08-02", 100), "100.01 = 100.01 + 0.00");
  EXPECT_EQ(linked(0, 0, "2020-08-03", 100), "100.01 = 50.00 + 50.01");  // no ratio: 50:50

  // A given cost is kept; a given part leaves the rest to the other part.
  auto given = actual_fields(pr.id, w.id, "2020-09-01", 10);
  given["actual_cost"] = std::string("10.01");
  EXPECT_EQ(costs(given), "10.01 = 5.00 + 5.01");
  given["actual_date"] = std::string("2020-09-02");
  given["capital_amount"] = std::string("10.00");
  EXPECT_EQ(costs(given), "10.01 = 10.00 + 0.01");
  given.erase("capital_amount");
  given["actual_date"] = std::string("2020-09-03");
  given["expense_amount"] = std::string("0.01");
  EXPECT_EQ(costs(given), "10.01 = 10.00 + 0.01");
  given["actual_date"] = std::string("2020-09-04");
  given["expense_amount"] = std::string("10.02");
  expect_invalid(create("actual", given), {"expense_amount"});
  given["capital_amount"] = std::string("1.00");
  given["expense_amount"] = std::string("1.00");
  expect_invalid(create("actual", given), {"actual_cost"});  // 1.00 + 1.00 != 10.01

  // No rate active on the date: the cost must be given.
  const auto lonely = worker(worker_type().id);
  expect_invalid(create("actual", actual_fields(pr.id, lonely.id, "2020-03-01", 50)), {"actual_cost"});
  auto with_cost = actual_fields(pr.id, lonely.id, "2020-03-01", 50);
  with_cost["actual_cost"] = std::string("12.34");
  EXPECT_EQ(costs(with_cost), "12.34 = 6.17 + 6.17");
  const auto wt2 = worker_type();
  const auto old_rate = make("rate", rate_fields(wt2.id, "9.00", "2019-01-01", "2019-12-31"));
  make("rate", rate_fields(wt2.id, "9.00", "2021-01-01"));
  const auto w2 = worker(wt2.id);
  expect_invalid(create("actual", actual_fields(pr.id, w2.id, "2020-05-05", 50)), {"actual_cost"});
  ASSERT_TRUE(update(old_rate, "rate", {{"end_date", std::string("2020-12-31")}}).ok());
  EXPECT_EQ(costs(actual_fields(pr.id, w2.id, "2020-05-05", 50)), "4.50 = 2.25 + 2.25");
  // The largest amounts do not overflow.
  const auto wt3 = worker_type();
  make("rate", rate_fields(wt3.id, "1000000000000000.00", "2019-01-01"));
  const auto w3 = worker(wt3.id);
  EXPECT_EQ(costs(actual_fields(pr.id, w3.id, "2020-10-01", 100)),
            "1000000000000000.00 = 500000000000000.00 + 500000000000000.00");
  EXPECT_EQ(costs(actual_fields(pr.id, worker(wt3.id).id, "2020-10-01", 99)),
            "990000000000000.00 = 495000000000000.00 + 495000000000000.00");
  const auto big = make("resource_assignment", assignment_fields(resource().id, pr.id, "2020-10-02", 99, 1));
  auto big_actual = actual_fields(pr.id, w3.id, "2020-10-02", 100);
  big_actual["resource_assignment_id"] = big.id;
  EXPECT_EQ(costs(big_actual), "1000000000000000.00 = 990000000000000.00 + 10000000000000.00");
  const auto reloaded = reload(old_rate, "rate");
  ASSERT_TRUE(remove(reloaded, "rate").ok());
  expect_invalid(create("actual", actual_fields(pr.id, w2.id, "2020-05-06", 50)), {"actual_cost"});
}

TEST_P(Rules, FieldsWithDefaultsOrComputedValuesCannotBeCleared) {
  const auto pr = project();
  const auto phase = make("project_phase", phase_fields(pr.id, "2020-01-01", "2020-01-31"));
  EXPECT_EQ(phase.fields.at("capital_budget"), FieldValue{std::string("0.00")});
  EXPECT_EQ(phase.fields.at("total_budget"), FieldValue{std::string("0.00")});
  expect_invalid(update(phase, "project_phase", {{"capital_budget", FieldValue{}}}), {"capital_budget"});
  expect_invalid(update(phase, "project_phase", {{"total_budget", std::string("1.00")}}), {"total_budget"});
  const Outcome budgets = update(phase, "project_phase", {{"capital_budget", std::string("1.50")},
                                                          {"expense_budget", std::string("2.25")}});
  ASSERT_TRUE(budgets.ok());
  EXPECT_EQ(budgets.entity.fields.at("total_budget"), FieldValue{std::string("3.75")});
  const Outcome described = update(budgets.entity, "project_phase", {{"description", std::string("x")}});
  ASSERT_TRUE(described.ok());
  const Outcome cleared = update(described.entity, "project_phase", {{"description", FieldValue{}}});
  ASSERT_TRUE(cleared.ok()) << describe(cleared);
  EXPECT_FALSE(cleared.entity.fields.count("description"));

  const auto u = make("user", user_fields("defaults", "defaults@example.com"));
  EXPECT_EQ(u.fields.at("is_active"), FieldValue{true});
  expect_invalid(update(u, "user", {{"is_active", FieldValue{}}}), {"is_active"});
  // On create a null takes the default.
  const Outcome created = create("user", [&] {
    auto f = user_fields("defaults2", "defaults2@example.com");
    f["is_active"] = FieldValue{};
    return f;
  }());
  ASSERT_TRUE(created.ok()) << describe(created);
  EXPECT_EQ(created.entity.fields.at("is_active"), FieldValue{true});

  const auto wt = worker_type();
  make("rate", rate_fields(wt.id, "10.00", "2019-01-01"));
  const auto a = make("actual", actual_fields(pr.id, worker(wt.id).id, "2020-01-01", 10));
  expect_invalid(update(a, "actual", {{"actual_cost", FieldValue{}}}), {"actual_cost"});
  expect_invalid(update(a, "actual", {{"capital_amount", FieldValue{}}}), {"capital_amount"});
}

TEST_P(Rules, FixedFieldsOfAnAssignmentCannotChange) {
  const auto r = resource();
  const auto pr = project();
  const auto a = make("resource_assignment", assignment_fields(r.id, pr.id, "2020-01-05", 10, 10));
  head();
  expect_invalid(update(a, "resource_assignment", {{"resource_id", resource().id}}), {"resource_id"});
  expect_invalid(update(a, "resource_assignment", {{"project_id", project().id},
                                                   {"assignment_date", std::string("2020-01-06")}}),
                 {"assignment_date", "project_id"});
  head();
  const Outcome same = update(a, "resource_assignment",
                              {{"resource_id", r.id}, {"capital_percentage", std::int64_t{20}}});
  ASSERT_TRUE(same.ok()) << describe(same);
  EXPECT_EQ(same.entity.version, 2);
}

TEST_P(Rules, RetriedCreateAnswersTheEntityAndOtherFieldsAreRefused) {
  const std::string fixed_id = id();
  const FieldMap fields{{"name", std::string("R")}, {"resource_type", std::string("labor")}};
  const Outcome first = create("resource", fields, fixed_id);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first.created);
  head();
  const Outcome again = create("resource", fields, fixed_id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.entity, first.entity);
  expect_constraint(create("resource", {{"name", std::string("Other")}, {"resource_type", std::string("labor")}},
                           fixed_id),
                    "id_taken", "resource", fixed_id);
  expect_nothing_written(head_, "retries");
  ASSERT_TRUE(remove(first.entity, "resource").ok());
  expect_constraint(create("resource", fields, fixed_id), "id_taken", "resource", fixed_id);
  // A version other than 1 on create, or an id that is no lower-case UUID: 422.
  CreateEntity wrong{&spec_of("resource"), id(), 2, fields};
  expect_invalid(handler_->create(context_for(user_uuid(1)), wrong), {"version"});
  CreateEntity upper{&spec_of("resource"), "0000E1E0-0000-4000-8000-000000000999", std::nullopt, fields};
  expect_invalid(handler_->create(context_for(user_uuid(1)), upper), {"id"});
}

// ---- users -------------------------------------------------------------------------------

TEST_P(Rules, PasswordsAreHashedOutsideTheEventsAndReadModels) {
  const std::string password = "Tr0ub4dor&3 é";
  const Outcome created = create("user", user_fields("alice", "alice@example.com", password));
  ASSERT_TRUE(created.ok()) << describe(created);
  EXPECT_FALSE(created.entity.fields.count("password"));
  const auto hash = password_hash_of(*store_, created.entity.id);
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_TRUE(commands::verify_password(password, *hash));
  EXPECT_FALSE(commands::verify_password(password + "x", *hash));
  EXPECT_EQ(hash->find(password), std::string::npos);

  // A new password replaces the hash; the update event carries no field for it.
  const std::string second = "another secret!";
  const Outcome changed = update(created.entity, "user", {{"password", second}});
  ASSERT_TRUE(changed.ok()) << describe(changed);
  EXPECT_EQ(changed.entity.version, 2);
  EXPECT_EQ(changed.entity.fields, created.entity.fields);
  const auto new_hash = *password_hash_of(*store_, created.entity.id);
  EXPECT_TRUE(commands::verify_password(second, new_hash));
  EXPECT_FALSE(commands::verify_password(password, new_hash));

  // A stale update with a password: the conflict's attempted changes leave it out.
  const Outcome stale = update(created.entity, "user",
                               {{"password", std::string("third secret!")}, {"is_active", false}});
  ASSERT_EQ(stale.kind, Kind::conflict);
  EXPECT_EQ(stale.conflict.attempted_changes, (FieldMap{{"is_active", false}}));
  EXPECT_EQ(*password_hash_of(*store_, created.entity.id), new_hash);

  // Too short (in characters, not bytes): 422, nothing stored.
  expect_invalid(create("user", user_fields("bob", "bob@example.com", "ééééééé")), {"password"});
  expect_invalid(create("user", user_fields("bob", "bob@example", "long enough")), {"email"});

  // Nowhere in any event or read-model row.
  for (const auto& event : all_events(*store_)) {
    EXPECT_EQ(event.payload.find(password), std::string::npos) << event.event_type;
    EXPECT_EQ(event.payload.find(second), std::string::npos) << event.event_type;
    EXPECT_EQ(event.payload.find("third secret!"), std::string::npos) << event.event_type;
    for (const auto& [name, value] :
         events::decode_payload<events::EntityChanges>(event.payload).fields) {
      EXPECT_NE(name, "password");
    }
  }
  for (const auto& [key, row] : dump_read_models(*store_)) {
    EXPECT_FALSE(row.fields.count("password")) << key;
    for (const auto& [name, value] : row.fields) {
      EXPECT_NE(value, FieldValue{password}) << key << "." << name;
    }
  }
}

TEST_P(Rules, ScopeAssignmentsHaveTheirShape) {
  const auto u = make("user", user_fields("scoped", "scoped@example.com"));
  const auto role = make("user_role", {{"user_id", u.id}, {"role_type", std::string("viewer")}});
  const auto g = program();
  const auto pr = project();
  const auto scope = [&](const std::string& type, FieldMap extra) {
    FieldMap f{{"user_role_id", role.id}, {"scope_type", type}};
    f.merge(extra);
    return create("scope_assignment", f);
  };
  EXPECT_TRUE(scope("global", {}).ok());
  EXPECT_TRUE(scope("program", {{"program_id", g.id}}).ok());
  EXPECT_TRUE(scope("project", {{"project_id", pr.id}}).ok());
  expect_invalid(scope("global", {{"program_id", g.id}}), {"scope_type"});
  expect_invalid(scope("program", {}), {"program_id"});
  expect_invalid(scope("program", {{"program_id", g.id}, {"project_id", pr.id}}), {"program_id"});
  expect_invalid(scope("project", {{"program_id", g.id}}), {"project_id"});
  expect_invalid(scope("galaxy", {}), {"scope_type"});
}

INSTANTIATE_TEST_SUITE_P(Backends, Rules, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
