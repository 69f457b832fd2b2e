// validation.h without a database: every field kind (types, lengths in characters,
// trimming, dates with leap years, exact money, percentages, choices, booleans, passwords),
// unknown and read-only fields, required fields and defaults, and the rules inside one
// entity. Every problem of a request is listed, not only the first.
#include "commands/validation.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

using commands::check_entity_rules;
using commands::ValidatedFields;
using commands::validate_fields;
using commands::ValidationMode;

ValidatedFields update_of(const std::string& type, FieldMap input) {
  return validate_fields(spec_of(type), input, ValidationMode::update);
}

// The single error for `field` of an update that sends only `value`, or "" when valid.
std::string error_for(const std::string& type, const std::string& field, FieldValue value) {
  const auto result = update_of(type, {{field, std::move(value)}});
  if (result.errors.empty()) return "";
  EXPECT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].field, field);
  EXPECT_TRUE(result.fields.empty());
  return result.errors[0].message;
}

// The normalized value of a valid field.
FieldValue normalized(const std::string& type, const std::string& field, FieldValue value) {
  const auto result = update_of(type, {{field, std::move(value)}});
  EXPECT_TRUE(result.errors.empty()) << result.errors[0].message;
  return result.fields.count(field) ? result.fields.at(field) : FieldValue{};
}

std::string repeat(const std::string& piece, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

TEST(ValidateText, TypesEmptinessAndTrimming) {
  EXPECT_EQ(error_for("resource", "name", std::int64_t{5}), "must be a string");
  EXPECT_EQ(error_for("resource", "name", true), "must be a string");
  EXPECT_EQ(error_for("resource", "name", 1.5), "must be a string");
  EXPECT_EQ(error_for("resource", "name", std::string("")), "must not be empty");
  EXPECT_EQ(error_for("resource", "name", std::string(" \t\r\n ")), "must not be empty");
  EXPECT_EQ(normalized("resource", "name", std::string("  Crane A \t\n")), FieldValue{std::string("Crane A")});
  EXPECT_EQ(normalized("resource", "name", std::string("in  side")), FieldValue{std::string("in  side")});
  EXPECT_EQ(error_for("resource", "name", std::string("bad \xff utf-8")), "must be valid UTF-8");
  EXPECT_EQ(error_for("resource", "name", std::string("overlong \xc0\xaf")), "must be valid UTF-8");
  EXPECT_EQ(error_for("resource", "name", std::string("cut \xe6\x97")), "must be valid UTF-8");
  EXPECT_EQ(error_for("resource", "name", std::string("overlong \xe0\x80\xaf")), "must be valid UTF-8");
  EXPECT_EQ(error_for("resource", "name", std::string("overlong \xf0\x80\x80\xaf")),
            "must be valid UTF-8");
  EXPECT_EQ(error_for("resource", "name", std::string("surrogate \xed\xa0\x80")), "must be valid UTF-8");
  EXPECT_EQ(error_for("resource", "name", std::string("beyond \xf4\x90\x80\x80")), "must be valid UTF-8");
  EXPECT_EQ(error_for("resource", "name", std::string("beyond \xf5\x80\x80\x80")), "must be valid UTF-8");
  EXPECT_EQ(error_for("resource", "name", std::string("max \xf4\x8f\xbf\xbf")), "");
  EXPECT_EQ(error_for("resource", "name", std::string("nul\0inside", 10)),
            "must not contain the character U+0000");
  EXPECT_EQ(error_for("user", "password", std::string("password\0", 9)),
            "must not contain the character U+0000");
}

TEST(ValidateText, MaximumLengthsCountCharactersNotBytes) {
  // name (255), description (1000), phase name (100), cost_center_code (50), description (500).
  for (const auto& [type, field, max] : std::vector<std::tuple<std::string, std::string, int>>{
           {"resource", "name", 255},
           {"resource", "description", 1000},
           {"project_phase", "name", 100},
           {"project_phase", "description", 500},
           {"project", "cost_center_code", 50},
           {"worker_type", "type", 100},
           {"user", "username", 100}}) {
    SCOPED_TRACE(type + "." + field);
    for (const std::string piece : {"x", "é", "日", "🙂"}) {
      EXPECT_EQ(error_for(type, field, repeat(piece, max)), "");
      EXPECT_EQ(error_for(type, field, repeat(piece, max + 1)),
                "must be at most " + std::to_string(max) + " characters");
    }
    // Surrounding white space does not count.
    EXPECT_EQ(error_for(type, field, "  " + repeat("x", max) + "  "), "");
  }
}

TEST(ValidateEmail, Addresses) {
  for (const std::string good : {"a@b.co", "first.last+tag@example.com", "x@sub.domain.org"}) {
    EXPECT_EQ(error_for("user", "email", good), "") << good;
  }
  EXPECT_EQ(normalized("user", "email", std::string("  a@b.co ")), FieldValue{std::string("a@b.co")});
  for (const std::string bad : {"plain", "@example.com", "a@", "a@b", "a@@b.co", "a@b@c.co",
                                "a@.co", "a@b.", "a b@c.co", "<a@b.co>", "a@b.co;c@d.co"}) {
    EXPECT_EQ(error_for("user", "email", bad), "must be a valid email address") << bad;
  }
  EXPECT_EQ(error_for("user", "email", repeat("a", 244) + "@example.com"),
            "must be at most 255 characters");
  EXPECT_EQ(error_for("user", "email", std::int64_t{1}), "must be a string");
}

TEST(ValidateReference, UuidsAreLowerCased) {
  EXPECT_EQ(normalized("program", "portfolio_id", std::string("0193ABCD-0000-7000-8000-00000000000F")),
            FieldValue{std::string("0193abcd-0000-7000-8000-00000000000f")});
  for (const std::string bad : {"", "1", "0193abcd00007000800000000000000f",
                                "0193abcd-0000-7000-8000-00000000000g",
                                "{0193abcd-0000-7000-8000-00000000000f}",
                                " 0193abcd-0000-7000-8000-00000000000f"}) {
    EXPECT_EQ(error_for("program", "portfolio_id", bad), "must be a UUID") << bad;
  }
  EXPECT_EQ(error_for("program", "portfolio_id", std::int64_t{7}), "must be a UUID string");
}

TEST(ValidateDate, CalendarDaysIncludingLeapYears) {
  for (const std::string good : {"2020-01-01", "2020-02-29", "2000-02-29", "2024-02-29",
                                 "2021-02-28", "2021-04-30", "2021-12-31", "0001-01-01",
                                 "9999-12-31"}) {
    EXPECT_EQ(error_for("project", "start_date", good), "") << good;
  }
  for (const std::string bad : {"2021-02-29", "1900-02-29", "2100-02-29", "2021-04-31",
                                "2021-06-31", "2021-13-01", "2021-00-10", "2021-01-00",
                                "2021-01-32", "0000-01-01", "2021-1-01", "2021-01-1", "20210101",
                                "2021/01/01", "2021-01-01T00:00:00Z", " 2021-01-01", "",
                                "abcd-ef-gh", "2021-0a-01"}) {
    EXPECT_EQ(error_for("project", "start_date", bad), "must be a valid date YYYY-MM-DD") << bad;
  }
  EXPECT_EQ(error_for("project", "start_date", std::int64_t{20210101}),
            "must be a date string YYYY-MM-DD");
}

TEST(ValidateMoney, ExactDecimalStringsOnly) {
  EXPECT_EQ(normalized("project_phase", "capital_budget", std::string("1250.00")),
            FieldValue{std::string("1250.00")});
  EXPECT_EQ(normalized("project_phase", "capital_budget", std::string("0.00")),
            FieldValue{std::string("0.00")});
  EXPECT_EQ(normalized("project_phase", "capital_budget", std::string("0007.50")),
            FieldValue{std::string("7.50")});
  const std::string format = "must be a decimal string with two fraction digits, such as \"1250.00\"";
  for (const std::string bad : {"500.005", "500.5", "500", "500.", ".50", "1e3", "1,00",
                                "1 000.00", " 1.00", "1.00 ", "+1.00", "0x10.00", "1.0a", "",
                                "NaN", "Infinity", "10000000000000000.00"}) {
    EXPECT_EQ(error_for("project_phase", "capital_budget", bad), format) << bad;
  }
  // JSON numbers are never money, whole or not.
  const std::string type = "must be a decimal string such as \"1250.00\"";
  EXPECT_EQ(error_for("project_phase", "capital_budget", 500.0), type);
  EXPECT_EQ(error_for("project_phase", "capital_budget", 500.005), type);
  EXPECT_EQ(error_for("project_phase", "capital_budget", std::int64_t{500}), type);
  EXPECT_EQ(error_for("project_phase", "capital_budget", true), type);
  // Signs: budgets and amounts are >= 0, a rate > 0.
  EXPECT_EQ(error_for("project_phase", "capital_budget", std::string("-1.00")), "must not be negative");
  EXPECT_EQ(error_for("actual", "actual_cost", std::string("-0.01")), "must not be negative");
  EXPECT_EQ(error_for("rate", "rate_amount", std::string("0.00")), "must be greater than 0");
  EXPECT_EQ(error_for("rate", "rate_amount", std::string("-5.00")), "must be greater than 0");
  EXPECT_EQ(error_for("rate", "rate_amount", std::string("0.01")), "");
}

TEST(ValidatePercentage, IntegersFrom0To100) {
  for (std::int64_t good : {0, 1, 50, 100}) {
    EXPECT_EQ(error_for("resource_assignment", "capital_percentage", good), "");
  }
  for (std::int64_t bad : std::vector<std::int64_t>{-1, 101, 1000, INT64_MIN, INT64_MAX}) {
    EXPECT_EQ(error_for("resource_assignment", "capital_percentage", bad),
              "must be between 0 and 100");
  }
  EXPECT_EQ(error_for("resource_assignment", "capital_percentage", std::string("50")),
            "must be an integer");
  EXPECT_EQ(error_for("resource_assignment", "capital_percentage", 50.0), "must be an integer");
  EXPECT_EQ(error_for("resource_assignment", "capital_percentage", 50.5), "must be an integer");
  EXPECT_EQ(error_for("actual", "allocation_percentage", true), "must be an integer");
}

TEST(ValidateChoice, OneOfTheListedValues) {
  EXPECT_EQ(error_for("resource", "resource_type", std::string("labor")), "");
  EXPECT_EQ(error_for("resource", "resource_type", std::string("non_labor")), "");
  EXPECT_EQ(error_for("resource", "resource_type", std::string("Labor")),
            "must be one of: labor, non_labor");
  EXPECT_EQ(error_for("resource", "resource_type", std::string("")),
            "must be one of: labor, non_labor");
  EXPECT_EQ(error_for("user_role", "role_type", std::string("root")),
            "must be one of: admin, program_manager, project_manager, finance_manager, "
            "resource_manager, viewer");
  EXPECT_EQ(error_for("scope_assignment", "scope_type", std::string("organisation")),
            "must be one of: global, program, project");
  EXPECT_EQ(error_for("resource", "resource_type", std::int64_t{1}), "must be a string");
}

TEST(ValidateBoolean, OnlyTrueOrFalse) {
  EXPECT_EQ(normalized("user", "is_active", false), FieldValue{false});
  EXPECT_EQ(error_for("user", "is_active", std::string("true")), "must be a boolean");
  EXPECT_EQ(error_for("user", "is_active", std::int64_t{1}), "must be a boolean");
}

TEST(ValidatePassword, EightCharactersOrMoreNeverTrimmed) {
  EXPECT_EQ(error_for("user", "password", std::string("1234567")), "must be at least 8 characters");
  EXPECT_EQ(error_for("user", "password", repeat("é", 7)), "must be at least 8 characters");
  EXPECT_EQ(error_for("user", "password", repeat("é", 8)), "");
  EXPECT_EQ(normalized("user", "password", std::string(" spaced out ")),
            FieldValue{std::string(" spaced out ")});
  EXPECT_EQ(error_for("user", "password", repeat("x", 1025)), "must be at most 1024 characters");
  EXPECT_EQ(error_for("user", "password", std::int64_t{12345678}), "must be a string");
}

TEST(ValidateFields, UnknownAndReadOnlyFieldsAreErrors) {
  EXPECT_EQ(error_for("resource", "colour", std::string("red")), "is not a field of resource");
  EXPECT_EQ(error_for("resource", "id", std::string("x")), "is not a field of resource");
  EXPECT_EQ(error_for("resource", "version", std::int64_t{1}), "is not a field of resource");
  EXPECT_EQ(error_for("project_phase", "total_budget", std::string("1.00")), "is read-only");
  EXPECT_EQ(error_for("resource", "created_at", std::string("x")), "is read-only");
  EXPECT_EQ(error_for("resource", "updated_at", std::string("x")), "is read-only");
  EXPECT_EQ(error_for("project", "total_budget", std::string("1.00")), "is not a field of project");
}

TEST(ValidateFields, CreateNeedsRequiredFieldsAndAddsDefaults) {
  const auto empty = validate_fields(spec_of("project_phase"), {}, ValidationMode::create);
  std::set<std::string> missing;
  for (const auto& e : empty.errors) {
    EXPECT_EQ(e.message, "is required");
    missing.insert(e.field);
  }
  EXPECT_EQ(missing, (std::set<std::string>{"project_id", "name", "start_date", "end_date"}));

  const auto phase = validate_fields(spec_of("project_phase"),
                                     {{"project_id", std::string("0193abcd-0000-7000-8000-00000000000f")},
                                      {"name", std::string("N")},
                                      {"start_date", std::string("2020-01-01")},
                                      {"end_date", std::string("2020-01-01")},
                                      {"expense_budget", FieldValue{}},
                                      {"description", FieldValue{}}},
                                     ValidationMode::create);
  EXPECT_TRUE(phase.errors.empty());
  EXPECT_EQ(phase.fields.at("capital_budget"), FieldValue{std::string("0.00")});  // absent
  EXPECT_EQ(phase.fields.at("expense_budget"), FieldValue{std::string("0.00")});  // null
  EXPECT_FALSE(phase.fields.count("description"));                               // null, optional
  EXPECT_FALSE(phase.fields.count("total_budget"));                              // derived later

  const auto user = validate_fields(spec_of("user"),
                                    {{"username", std::string("u")}, {"email", std::string("u@x.io")},
                                     {"password", std::string("12345678")}},
                                    ValidationMode::create);
  EXPECT_TRUE(user.errors.empty());
  EXPECT_EQ(user.fields.at("is_active"), FieldValue{true});

  // A required field sent as null is reported once.
  const auto null_name = validate_fields(spec_of("resource"),
                                         {{"name", FieldValue{}}, {"resource_type", std::string("labor")}},
                                         ValidationMode::create);
  ASSERT_EQ(null_name.errors.size(), 1u);
  EXPECT_EQ(null_name.errors[0].field, "name");
  EXPECT_EQ(null_name.errors[0].message, "is required");

  // Computed fields of an actual may be absent or null.
  const auto actual = validate_fields(spec_of("actual"),
                                      {{"project_id", std::string("0193abcd-0000-7000-8000-00000000000f")},
                                       {"worker_id", std::string("0193abcd-0000-7000-8000-00000000000e")},
                                       {"actual_date", std::string("2020-01-01")},
                                       {"allocation_percentage", std::int64_t{10}},
                                       {"actual_cost", FieldValue{}}},
                                      ValidationMode::create);
  EXPECT_TRUE(actual.errors.empty());
  EXPECT_FALSE(actual.fields.count("actual_cost"));
}

TEST(ValidateFields, UpdateTakesAnySubsetAndClearsOnlyOptionalFields) {
  EXPECT_TRUE(update_of("project", {}).errors.empty());
  EXPECT_TRUE(update_of("project", {{"name", std::string("x")}}).errors.empty());
  EXPECT_EQ(error_for("project", "name", FieldValue{}), "is required");
  const auto cleared = update_of("project", {{"description", FieldValue{}}});
  EXPECT_TRUE(cleared.errors.empty());
  EXPECT_EQ(cleared.fields, (FieldMap{{"description", FieldValue{}}}));
  EXPECT_TRUE(update_of("rate", {{"end_date", FieldValue{}}}).errors.empty());
  EXPECT_TRUE(update_of("actual", {{"resource_assignment_id", FieldValue{}}}).errors.empty());
  // Fields with a default or a computed value always hold one.
  EXPECT_EQ(error_for("user", "is_active", FieldValue{}), "cannot be cleared");
  EXPECT_EQ(error_for("project_phase", "capital_budget", FieldValue{}), "cannot be cleared");
  EXPECT_EQ(error_for("actual", "actual_cost", FieldValue{}), "cannot be cleared");
  EXPECT_EQ(error_for("actual", "expense_amount", FieldValue{}), "cannot be cleared");
}

TEST(ValidateFields, EveryProblemIsListed) {
  const auto result = validate_fields(spec_of("resource_assignment"),
                                      {{"resource_id", std::string("nope")},
                                       {"assignment_date", std::string("2021-02-29")},
                                       {"capital_percentage", std::int64_t{101}},
                                       {"expense_percentage", std::string("5")},
                                       {"colour", std::string("red")}},
                                      ValidationMode::create);
  std::map<std::string, std::string> errors;
  for (const auto& e : result.errors) errors[e.field] = e.message;
  EXPECT_EQ(errors, (std::map<std::string, std::string>{
                        {"resource_id", "must be a UUID"},
                        {"assignment_date", "must be a valid date YYYY-MM-DD"},
                        {"capital_percentage", "must be between 0 and 100"},
                        {"expense_percentage", "must be an integer"},
                        {"colour", "is not a field of resource_assignment"},
                        {"project_id", "is required"}}));
}

TEST(EntityRules, WithinOneEntity) {
  const auto fields_of = [](const std::vector<commands::FieldError>& errors) {
    std::vector<std::string> fields;
    for (const auto& e : errors) fields.push_back(e.field);
    return fields;
  };
  using V = std::vector<std::string>;
  // start < end (a phase may be a single day).
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("portfolio"),
                                         {{"reporting_start_date", std::string("2020-01-02")},
                                          {"reporting_end_date", std::string("2020-01-02")}})),
            V{"reporting_end_date"});
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("program"), {{"start_date", std::string("2020-01-01")},
                                                              {"end_date", std::string("2020-01-02")}})),
            V{});
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("project_phase"),
                                         {{"start_date", std::string("2020-01-02")},
                                          {"end_date", std::string("2020-01-02")}})),
            V{});
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("project_phase"),
                                         {{"start_date", std::string("2020-01-02")},
                                          {"end_date", std::string("2020-01-01")}})),
            V{"end_date"});
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("rate"), {{"start_date", std::string("2020-01-02")}})),
            V{});  // open-ended
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("rate"), {{"start_date", std::string("2020-01-02")},
                                                           {"end_date", std::string("2020-01-02")}})),
            V{"end_date"});
  // capital + expense <= 100.
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("resource_assignment"),
                                         {{"capital_percentage", std::int64_t{60}},
                                          {"expense_percentage", std::int64_t{40}}})),
            V{});
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("resource_assignment"),
                                         {{"capital_percentage", std::int64_t{60}},
                                          {"expense_percentage", std::int64_t{41}}})),
            V{"expense_percentage"});
  // The shape of a scope.
  const std::string id = "0193abcd-0000-7000-8000-00000000000f";
  const auto scope = [&](const std::string& type, bool program, bool project) {
    FieldMap f{{"scope_type", type}};
    if (program) f["program_id"] = id;
    if (project) f["project_id"] = id;
    return fields_of(check_entity_rules(spec_of("scope_assignment"), f));
  };
  EXPECT_EQ(scope("global", false, false), V{});
  EXPECT_EQ(scope("global", true, false), V{"scope_type"});
  EXPECT_EQ(scope("global", false, true), V{"scope_type"});
  EXPECT_EQ(scope("program", true, false), V{});
  EXPECT_EQ(scope("program", false, false), V{"program_id"});
  EXPECT_EQ(scope("program", true, true), V{"program_id"});
  EXPECT_EQ(scope("project", false, true), V{});
  EXPECT_EQ(scope("project", false, false), V{"project_id"});
  EXPECT_EQ(scope("project", true, true), V{"project_id"});
  // An actual's parts add up to its cost.
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("actual"), {{"actual_cost", std::string("10.01")},
                                                             {"capital_amount", std::string("5.00")},
                                                             {"expense_amount", std::string("5.01")}})),
            V{});
  EXPECT_EQ(fields_of(check_entity_rules(spec_of("actual"), {{"actual_cost", std::string("10.01")},
                                                             {"capital_amount", std::string("5.00")},
                                                             {"expense_amount", std::string("5.00")}})),
            V{"actual_cost"});
}

TEST(Identifiers, UuidsDatesAndCharacters) {
  EXPECT_TRUE(commands::is_uuid("0193abcd-0000-7000-8000-00000000000f"));
  EXPECT_FALSE(commands::is_uuid("0193ABCD-0000-7000-8000-00000000000F"));
  EXPECT_FALSE(commands::is_uuid("0193abcd-0000-7000-8000-00000000000"));
  EXPECT_FALSE(commands::is_uuid("0193abcd+0000-7000-8000-00000000000f"));
  std::set<std::string> ids;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = commands::new_id();
    EXPECT_TRUE(commands::is_uuid(id)) << id;
    EXPECT_EQ(id[14], '7') << "version 7: " << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << "RFC 4122 variant: " << id;
    EXPECT_GE(id.substr(0, 13), previous.substr(0, std::min<std::size_t>(13, previous.size())))
        << "time-ordered";
    previous = id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(commands::utf8_length("abc"), 3);
  EXPECT_EQ(commands::utf8_length("é日🙂"), 3);
  EXPECT_EQ(commands::utf8_length(""), 0);
  EXPECT_EQ(commands::utf8_length("\x80"), -1);
  EXPECT_EQ(commands::utf8_length("\xf0\x9f\x99"), -1);
  EXPECT_EQ(commands::utf8_length("\xc1\xbf"), -1);          // overlong
  EXPECT_EQ(commands::utf8_length("\xed\x9f\xbf"), 1);      // U+D7FF
  EXPECT_EQ(commands::utf8_length("\xee\x80\x80"), 1);      // U+E000
  EXPECT_EQ(commands::utf8_length("\xef\xbf\xbf"), 1);      // U+FFFF
}

}  // namespace
}  // namespace folio::testing
