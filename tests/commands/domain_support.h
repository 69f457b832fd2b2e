// Helpers shared by the domain suites (tests/commands): a fixture with a command handler on
// a fresh database of each backend, RapidCheck plumbing with an explicit case count, and
// the World, which builds valid create and update requests for every one of the 13 entity
// types, creating (through the handler) the parents each one needs.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command_handler.h"
#include "commands/queries.h"
#include "projections/read_model.h"
#include "tests/support/property.h"  // kPropertyCases
#include "tests/support/store_test.h"

namespace folio::testing {

using commands::CommandContext;
using commands::CommandHandler;
using commands::CreateEntity;
using commands::DeleteEntity;
using commands::EntityState;
using commands::Outcome;
using commands::UpdateEntity;
using events::EntitySpec;
using events::FieldMap;
using events::FieldValue;
using Kind = commands::Outcome::Kind;

// ---- random choices ----------------------------------------------------------------------

// Every random choice of the World goes through this, so the same builders serve RapidCheck
// properties (choices RapidCheck can shrink) and plain tests (a seeded engine).
class Random {
 public:
  virtual ~Random() = default;
  virtual int between(int lo, int hi) = 0;  // inclusive
  bool chance(int percent) { return between(0, 99) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items.at(static_cast<std::size_t>(between(0, static_cast<int>(items.size()) - 1)));
  }
};

// A uniform draw in [lo, hi] inside a property. rc::gen::inRange alone scales its range with
// RapidCheck's size (small sizes give values near lo), which would make the first cases
// of every property all alike; the resize keeps the whole range in every case, while the
// value still shrinks towards lo.
inline int uniform(int lo, int hi) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi + 1));
}

// Draws through RapidCheck: only inside a property. While shrinking, RapidCheck replays the
// recorded draws by position, so a draw may come back from another call site: clamping it
// keeps every value inside the range its caller asked for.
class RcRandom final : public Random {
 public:
  int between(int lo, int hi) override { return std::clamp(uniform(lo, hi), lo, hi); }
};

class SeededRandom final : public Random {
 public:
  explicit SeededRandom(unsigned seed) : engine_(seed) {}
  int between(int lo, int hi) override {
    return std::uniform_int_distribution<int>(lo, hi)(engine_);
  }

 private:
  std::mt19937 engine_;
};

// Runs `property` as a RapidCheck property with exactly `cases` successful cases (RapidCheck's
// size grows up to `max_size`). Fails the calling test with the counterexample.
::testing::AssertionResult check_property(const std::string& name, int cases, int max_size,
                                          const std::function<void()>& property);

// ---- dates and money ---------------------------------------------------------------------

std::string add_days(const std::string& date, int days);  // "YYYY-MM-DD" +- days
std::string money(std::int64_t cents);                     // 12345 -> "123.45"
std::int64_t cents(const FieldValue& money_value);         // "123.45" -> 12345

// ---- printing ----------------------------------------------------------------------------

std::string describe(const FieldValue& value);
std::string describe(const FieldMap& fields);
std::string describe(const EntityState& state);
std::string describe(const Outcome& outcome);

// Throws std::runtime_error naming `what` and the outcome unless it is ok. Works inside
// RapidCheck properties and plain tests alike.
const Outcome& require_ok(const Outcome& outcome, const std::string& what);
void require(bool condition, const std::string& what);

// ---- entity types ------------------------------------------------------------------------

std::vector<std::string> all_entity_types();  // the 13, in catalog order
const EntitySpec& spec_of(std::string_view type);

// ---- reading the store -------------------------------------------------------------------

std::vector<events::RecordedEvent> all_events(store::EventStore& store);
// The fields `event` set as its payload holds them, sealed personal values opened (they
// differ byte for byte between two writes of the same value: tests/commands/
// personal_data_test.cpp checks they are sealed).
FieldMap payload_fields(const events::RecordedEvent& event);

std::vector<events::RecordedEvent> stream_of(store::EventStore& store, const EntitySpec& spec,
                                             const std::string& id);
std::optional<EntityState> load(store::EventStore& store, const EntitySpec& spec,
                                const std::string& id);
// Every read-model row of every entity type, deleted ones included, keyed "<type>/<id>".
std::map<std::string, EntityState> dump_read_models(store::EventStore& store);
// The password hash stored for `user_id`, if any.
std::optional<std::string> password_hash_of(store::EventStore& store, const std::string& user_id);
// The global position of the last event, paging forward from `from` (a position known to
// exist, e.g. an earlier head).
std::int64_t log_head(store::EventStore& store, std::int64_t from = 0);
// The same state without what a test cannot control (timestamps).
EntityState without_timestamps(EntityState state);

// ---- contexts ----------------------------------------------------------------------------

// A system actor (every right) acting as `user_id`: the domain suites test rules and
// versions; access has its own tests.
CommandContext context_for(const std::string& user_id, const std::string& request_id = "req-test");
std::string user_uuid(int n);  // a fixed, valid user id per simulated user

// ---- the fixture -------------------------------------------------------------------------

class DomainTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<store::EventStore> store_;
  std::unique_ptr<CommandHandler> handler_;
  std::unique_ptr<commands::EntityQueries> queries_;
};

// ---- the World ---------------------------------------------------------------------------

// A create request and how the entity must look once created.
struct CreatePlan {
  CreateEntity command;
  FieldMap expected;     // every field of the new entity (defaults, computed values, derived)
  std::string password;  // users: the clear password sent
};

// An update request and how the fields it sends must look afterwards.
struct UpdatePlan {
  FieldMap sent;         // the command's fields (untrimmed texts, nulls that clear, ...)
  FieldMap normalized;   // the same fields as the handler normalizes them (null = cleared)
  std::string password;  // users: the new clear password, if sent
};

// The fields of `current` after `plan`: its normalized fields applied, cleared ones removed,
// derived ones recomputed.
FieldMap apply_plan(const EntitySpec& spec, const FieldMap& current, const UpdatePlan& plan);

// Builds valid requests for all 13 entity types. Parents are created through the handler
// (shared where the rules allow it, fresh where a sibling rule would make them collide),
// so every create and every update it plans succeeds when run in order against a store that
// only this World writes to. Not thread-safe. Ids are client-supplied and deterministic
// ("<prefix>-0000-4000-8000-<counter>"), so two Worlds with the same prefix on two stores
// make the same entities.
class World {
 public:
  World(CommandHandler& handler, unsigned prefix, CommandContext context = context_for(user_uuid(0)));

  std::string next_id();
  CreatePlan create_plan(Random& random, std::string_view type);
  // Runs a create plan and checks the outcome (ok, version 1, fields as planned).
  EntityState create(Random& random, std::string_view type);
  UpdatePlan update_plan(Random& random, std::string_view type, const EntityState& current);

  CommandHandler& handler() { return handler_; }
  const CommandContext& context() const { return context_; }

 private:
  struct PhaseProject {
    std::string id;
    std::string next_slot;  // first day of the next free 20-day slot
    std::string end;
  };
  struct Slot {
    std::string start, end;  // the dates this entity may use without touching a sibling
    bool open_ended = false;  // a rate alone under its worker type: any end, or none
  };

  Outcome run_create(const CreateEntity& command);
  std::string make_parent(Random& random, std::string_view type);
  std::string portfolio(Random& random);
  std::string program(Random& random);
  std::string long_project(Random& random);  // 2020-01-01 .. 2029-12-31, for children
  std::string worker_type(Random& random);
  std::string resource(Random& random);
  std::string user_role(Random& random);
  std::string assignment(Random& random);  // a live assignment of the World's own
  std::string actual_worker(Random& random);
  std::string next_child_day();  // a date in the long project no other child has used
  std::string unique_text(Random& random, std::string_view base, int max_chars);
  std::string text(Random& random, int max_chars);

  CommandHandler& handler_;
  CommandContext context_;
  unsigned prefix_;
  long counter_ = 0;
  long unique_counter_ = 0;
  std::vector<std::string> portfolios_, programs_, worker_types_, resources_, user_roles_;
  std::vector<std::string> assignments_, actual_workers_;
  std::string long_project_, actual_worker_type_, rate_worker_type_;
  std::int64_t actual_rate_cents_ = 0;
  std::string next_rate_slot_;
  int child_day_ = 0;
  std::vector<PhaseProject> phase_projects_;
  std::map<std::string, Slot> slots_;  // phase and rate id -> its slot
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> assignment_split_;
};

}  // namespace folio::testing
