// Property 7: every version conflict writes exactly one log line (spdlog logger "folio")
// with entity_type, entity_id, expected_version, actual_version, user_id and request_id, and
// no field values (no names, emails, passwords, ids of other entities). Other outcomes log
// nothing. Both backends, all 13 entity types.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <set>
#include <sstream>

#include "commands/conflict_log.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

// Registers the logger "folio" with an in-memory sink for the life of the test.
class CapturedLog {
 public:
  CapturedLog() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%v");
    auto logger = std::make_shared<spdlog::logger>("folio", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::drop("folio");
    spdlog::register_logger(logger);
  }
  ~CapturedLog() { spdlog::drop("folio"); }

  // The lines written since the last call.
  std::vector<std::string> take() {
    std::vector<std::string> lines;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    out_.str("");
    return lines;
  }

 private:
  std::ostringstream out_;
};

// Checks one conflict line against what it must say, and that none of `secrets` is in it.
void check_line(const std::string& line, const commands::ConflictInfo& conflict,
                const std::string& user_id, const std::string& request_id,
                const std::set<std::string>& secrets) {
  RC_LOG() << "line: " << line << "\n";
  boost::json::error_code error;
  const auto value = boost::json::parse(line, error);
  RC_ASSERT(!error);
  RC_ASSERT(value.is_object());
  const auto& object = value.as_object();
  std::set<std::string> keys;
  for (const auto& entry : object) keys.insert(std::string(entry.key()));
  RC_ASSERT(keys == (std::set<std::string>{"event", "entity_type", "entity_id", "expected_version",
                                           "actual_version", "user_id", "request_id"}));
  RC_ASSERT(object.at("event") == "version_conflict");
  RC_ASSERT(object.at("entity_type") == conflict.entity_type.c_str());
  RC_ASSERT(object.at("entity_id") == conflict.entity_id.c_str());
  RC_ASSERT(object.at("expected_version").as_int64() == conflict.expected_version);
  RC_ASSERT(object.at("actual_version").as_int64() == conflict.current_version);
  RC_ASSERT(object.at("user_id") == user_id.c_str());
  RC_ASSERT(object.at("request_id") == request_id.c_str());
  for (const auto& secret : secrets) {
    if (line.find(secret) != std::string::npos) RC_FAIL("the line carries the value " + secret);
  }
}

// The values of `fields` that could be recognised in a line: strings of 6 characters or
// more, and their JSON-escaped forms.
void add_secrets(const FieldMap& fields, std::set<std::string>& secrets) {
  for (const auto& [name, value] : fields) {
    const auto* text = std::get_if<std::string>(&value);
    if (!text || text->size() < 6) continue;
    secrets.insert(*text);
    secrets.insert(boost::json::serialize(boost::json::value(*text)));
  }
}

class ConflictLog : public DomainTest {};

TEST_P(ConflictLog, EveryConflictLogsOneLineWithIdsAndNoValues) {
  CapturedLog log;
  World world(*handler_, 0x30000001);
  const auto types = all_entity_types();
  int lines = 0;
  ASSERT_TRUE(check_property("a conflict is logged without values", kPropertyCases, 100, [&] {
    RcRandom r;
    for (const auto& type : types) {
      const EntitySpec& spec = spec_of(type);
      std::set<std::string> secrets;
      const CreatePlan create = world.create_plan(r, type);
      EntityState state = require_ok(handler_->create(world.context(), create.command), "create").entity;
      add_secrets(state.fields, secrets);
      if (!create.password.empty()) secrets.insert(create.password);

      // Another user updates it; successes log nothing.
      UpdatePlan plan = world.update_plan(r, type, state);
      log.take();
      state = require_ok(handler_->update(context_for(user_uuid(2), "other"),
                                          UpdateEntity{&spec, state.id, 1, plan.sent}),
                         "update")
                  .entity;
      add_secrets(state.fields, secrets);
      if (!plan.password.empty()) secrets.insert(plan.password);
      RC_ASSERT(log.take().empty());

      // A validation failure logs nothing either.
      handler_->update(context_for(user_uuid(3)), UpdateEntity{&spec, state.id, std::nullopt, {}});
      RC_ASSERT(log.take().empty());

      // The stale write: one line.
      plan = world.update_plan(r, type, state);
      for (const auto& [name, value] : plan.sent) {
        const auto* text = std::get_if<std::string>(&value);
        if (text && text->size() >= 6) secrets.insert(*text);
      }
      add_secrets(plan.normalized, secrets);
      if (!plan.password.empty()) secrets.insert(plan.password);
      secrets.erase(state.id);  // the entity's own id belongs in the line
      const std::string user = user_uuid(r.between(10, 20));
      const std::string request = "req-" + std::to_string(r.between(0, 1000000));
      const bool as_delete = r.chance(20);
      const Outcome outcome =
          as_delete ? handler_->remove(context_for(user, request), DeleteEntity{&spec, state.id, 1})
                    : handler_->update(context_for(user, request),
                                       UpdateEntity{&spec, state.id, 1, plan.sent});
      RC_ASSERT(outcome.kind == Kind::conflict);
      const auto written = log.take();
      RC_ASSERT(written.size() == 1u);
      check_line(written[0], outcome.conflict, user, request, secrets);
      ++lines;
    }
  }));
  EXPECT_EQ(lines, kPropertyCases * 13);
}

// A conflict inside a bulk update is logged like any other, once per failed item.
TEST_P(ConflictLog, BulkConflictsAreLoggedPerItem) {
  CapturedLog log;
  World world(*handler_, 0x30000002);
  SeededRandom r(3);
  const auto a = world.create(r, "resource_assignment");
  const auto b = world.create(r, "resource_assignment");
  log.take();
  const auto result = handler_->bulk_update_assignments(
      context_for(user_uuid(4), "bulk-1"),
      {{a.id, 2, {}}, {b.id, 1, {}}, {b.id, 1, {}}, {a.id, 5, {}}});
  ASSERT_EQ(result.succeeded.size(), 1u);
  ASSERT_EQ(result.failed.size(), 3u);
  const auto lines = log.take();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find(a.id), std::string::npos);
  EXPECT_NE(lines[0].find("\"expected_version\":2"), std::string::npos);
  EXPECT_NE(lines[1].find(b.id), std::string::npos);
  EXPECT_NE(lines[1].find("\"actual_version\":2"), std::string::npos);
  EXPECT_NE(lines[2].find("\"expected_version\":5"), std::string::npos);
  for (const auto& line : lines) EXPECT_NE(line.find("\"request_id\":\"bulk-1\""), std::string::npos);
}

// The line builder alone: exactly the documented object.
TEST(ConflictLogLine, CarriesOnlyIdsAndVersions) {
  commands::ConflictInfo conflict;
  conflict.entity_type = "user";
  conflict.entity_id = "0193aaaa-0000-7000-8000-000000000001";
  conflict.expected_version = 3;
  conflict.current_version = 5;
  conflict.current_state = EntityState{"0193aaaa-0000-7000-8000-000000000001", 5, "", "", false,
                                       {{"email", std::string("secret@example.com")}}};
  conflict.attempted_changes = {{"username", std::string("someone-secret")}};
  const std::string line = commands::conflict_log_line(conflict, "user-1", "req \"x\"");
  EXPECT_EQ(line,
            "{\"event\":\"version_conflict\",\"entity_type\":\"user\",\"entity_id\":"
            "\"0193aaaa-0000-7000-8000-000000000001\",\"expected_version\":3,"
            "\"actual_version\":5,\"user_id\":\"user-1\",\"request_id\":\"req \\\"x\\\"\"}");
}

INSTANTIATE_TEST_SUITE_P(Backends, ConflictLog, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
