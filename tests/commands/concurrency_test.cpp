// Rules under concurrent writers: real threads, each with its own EventStore (its own
// connections, as another server process would have), on both backends.
//   - two writers with the same version, on every entity type: exactly one wins;
//   - many writers booking one resource on one date across projects: the day's sum never
//     passes 100, and every success is in the read model;
//   - the same unique value from 10 writers: exactly one wins, the others get `constraint`
//     naming the winner;
//   - a program deleted while projects are being created under it: never a live project
//     under a deleted program.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <mutex>
#include <thread>

#include "tests/support/thread_failures.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {


// A fixed id per (a, b), for entities the threads create.
std::string world_id(int a, int b) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "c0c0%04x-0000-4000-8000-%012x", a, b);
  return buffer;
}

// One writer: its own store (one connection) and handler.
struct Writer {
  std::unique_ptr<store::EventStore> store;
  std::unique_ptr<CommandHandler> handler;
};

class DomainConcurrency : public DomainTest {
 protected:
  std::vector<Writer> writers(int n) {
    std::vector<Writer> all;
    store::StoreOptions options;
    options.connections = 1;
    for (int i = 0; i < n; ++i) {
      Writer w;
      w.store = db_->open_store(options);
      w.handler = std::make_unique<CommandHandler>(*w.store, commands::PasswordPolicy::fast_for_tests());
      all.push_back(std::move(w));
    }
    return all;
  }

  // Runs body(i) on `n` threads started together.
  template <class Body>
  static void together(int n, Body body) {
    std::latch start(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        body(i);
      });
    }
    for (auto& t : threads) t.join();
  }

  void report(Failures& failures) {
    for (const auto& message : failures.get()) ADD_FAILURE() << message;
  }
};

TEST_P(DomainConcurrency, TwoWritersWithTheSameVersionExactlyOneWins) {
  constexpr int kRounds = 4;
  World world(*handler_, 0x80000001);
  SeededRandom r(8);
  auto pair = writers(2);
  for (const auto& type : all_entity_types()) {
    SCOPED_TRACE(type);
    const EntitySpec& spec = spec_of(type);
    EntityState state = world.create(r, type);
    for (int round = 0; round <= kRounds; ++round) {
      const bool last = round == kRounds;  // the last round: an update races a delete
      const UpdatePlan plans[2] = {world.update_plan(r, type, state), world.update_plan(r, type, state)};
      Outcome outcomes[2];
      together(2, [&](int i) {
        const auto context = context_for(user_uuid(i), "race-" + std::to_string(i));
        outcomes[i] = last && i == 1
                          ? pair[i].handler->remove(context, DeleteEntity{&spec, state.id, state.version})
                          : pair[i].handler->update(context, UpdateEntity{&spec, state.id, state.version,
                                                                          plans[i].sent});
      });
      const int winner = outcomes[0].ok() ? 0 : 1;
      const int loser = 1 - winner;
      ASSERT_TRUE(outcomes[winner].ok()) << describe(outcomes[0]) << " / " << describe(outcomes[1]);
      ASSERT_EQ(outcomes[loser].kind, Kind::conflict) << describe(outcomes[loser]);
      EXPECT_EQ(outcomes[winner].entity.version, state.version + 1);
      EXPECT_EQ(outcomes[loser].conflict.expected_version, state.version);
      EXPECT_EQ(outcomes[loser].conflict.current_version, state.version + 1);
      ASSERT_EQ(outcomes[loser].conflict.changes_since.size(), 1u);
      const auto row = load(*store_, spec, state.id);
      ASSERT_TRUE(row.has_value());
      EXPECT_EQ(*row, outcomes[winner].entity);
      EXPECT_EQ(store_->stream_version(projections::stream_id_of(spec, state.id)), state.version + 1);
      if (!last) {
        EXPECT_EQ(outcomes[winner].entity.fields, apply_plan(spec, state.fields, plans[winner]));
      }
      state = outcomes[winner].entity;
    }
  }
}

TEST_P(DomainConcurrency, ManyWritersBookingOneResourceDayNeverPass100) {
  constexpr int kWriters = 6;
  constexpr int kAttempts = 12;
  World world(*handler_, 0x80000002);
  SeededRandom r(9);
  const std::string day = "2020-06-15";
  const EntityState resource = world.create(r, "resource");
  // Each writer books the resource in projects of its own.
  std::vector<std::vector<std::string>> projects(kWriters);
  for (auto& mine : projects) {
    for (int k = 0; k < 2; ++k) {
      CreateEntity project{&spec_of("project"), world.next_id(), std::nullopt,
                           {{"program_id", world.create(r, "program").id},
                            {"name", std::string("P")},
                            {"business_sponsor", std::string("s")},
                            {"project_manager", std::string("m")},
                            {"technical_lead", std::string("t")},
                            {"start_date", std::string("2020-01-01")},
                            {"end_date", std::string("2020-12-31")},
                            {"cost_center_code", "CAP-" + world.next_id()}}};
      mine.push_back(require_ok(handler_->create(world.context(), project), "project").entity.id);
    }
  }
  auto all = writers(kWriters + 1);
  Failures failures;
  std::atomic<int> successes{0}, refusals{0}, done{0};
  // What each writer's successes left behind: assignment id -> its state.
  std::vector<std::map<std::string, EntityState>> booked(kWriters);
  const EntitySpec& spec = spec_of("resource_assignment");

  together(kWriters + 1, [&](int t) {
    if (t == kWriters) {
      // A reader: the day's sum, as any snapshot shows it, never passes 100.
      static const char* kDaySum =
          "SELECT CAST(COALESCE(SUM(capital_percentage + expense_percentage), 0) AS BIGINT)"
          " FROM resource_assignments"
          " WHERE deleted = 0 AND resource_id = $1 AND assignment_date = $2";
      while (done.load() < kWriters) {
        all[t].store->transact(store::Access::read_only, [&](store::Transaction& tx) {
          const std::vector<store::SqlValue> params{resource.id, day};
          const auto rows = tx.query(kDaySum, params);
          const auto sum = std::get<std::int64_t>(rows.at(0).at(0));
          if (sum > 100) failures.add("the day's sum reached " + std::to_string(sum));
          return store::Verdict::commit;
        });
      }
      return;
    }
    SeededRandom mine(100 + t);
    auto& handler = *all[t].handler;
    const auto context = context_for(user_uuid(t), "book-" + std::to_string(t));
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      const std::string& project = projects[t][mine.between(0, 1)];
      // This writer's booking in that project, if it has one.
      auto it = std::find_if(booked[t].begin(), booked[t].end(), [&](const auto& entry) {
        return entry.second.fields.at("project_id") == FieldValue{project};
      });
      const std::int64_t capital = mine.between(0, 25), expense = mine.between(0, 25);
      Outcome outcome;
      if (it == booked[t].end()) {
        outcome = handler.create(context, CreateEntity{&spec, world_id(t, attempt), std::nullopt,
                                                       {{"resource_id", resource.id},
                                                        {"project_id", project},
                                                        {"assignment_date", day},
                                                        {"capital_percentage", capital},
                                                        {"expense_percentage", expense}}});
      } else if (mine.chance(25)) {
        outcome = handler.remove(context, DeleteEntity{&spec, it->first, it->second.version});
      } else {
        outcome = handler.update(context, UpdateEntity{&spec, it->first, it->second.version,
                                                       {{"capital_percentage", capital},
                                                        {"expense_percentage", expense}}});
      }
      if (outcome.ok()) {
        ++successes;
        if (outcome.entity.deleted) {
          booked[t].erase(outcome.entity.id);
        } else {
          booked[t][outcome.entity.id] = outcome.entity;
        }
      } else if (outcome.kind == Kind::constraint && outcome.constraint.rule == "resource_capacity") {
        ++refusals;
      } else {
        failures.add("writer " + std::to_string(t) + ": " + describe(outcome));
      }
    }
    ++done;
  });
  report(failures);
  std::cout << "[ capacity ] " << successes << " successes, " << refusals << " refused\n";
  EXPECT_GT(refusals.load(), 0) << "the writers never ran out of capacity";
  EXPECT_GT(successes.load(), kWriters);

  // Every success is in the read model, and nothing else is.
  std::int64_t sum = 0;
  std::size_t live = 0;
  for (const auto& [key, row] : dump_read_models(*store_)) {
    if (key.rfind("resource_assignment/", 0) != 0 || row.deleted) continue;
    if (row.fields.at("resource_id") != FieldValue{resource.id}) continue;
    ++live;
    sum += std::get<std::int64_t>(row.fields.at("capital_percentage")) +
           std::get<std::int64_t>(row.fields.at("expense_percentage"));
  }
  std::size_t expected_live = 0;
  for (const auto& mine : booked) {
    for (const auto& [id, state] : mine) {
      ++expected_live;
      EXPECT_EQ(load(*store_, spec, id), state) << id;
    }
  }
  EXPECT_EQ(live, expected_live);
  EXPECT_LE(sum, 100);
}

TEST_P(DomainConcurrency, SameUniqueValueFromTenWritersExactlyOneWins) {
  constexpr int kWriters = 10;
  World world(*handler_, 0x80000003);
  SeededRandom r(10);
  auto all = writers(kWriters);
  for (const auto& [type, field] : std::vector<std::pair<std::string, std::string>>{
           {"portfolio", "name"},
           {"program", "name"},
           {"project", "cost_center_code"},
           {"worker_type", "type"},
           {"worker", "external_id"},
           {"user", "username"},
           {"user", "email"}}) {
    SCOPED_TRACE(type + "." + field);
    // Ten valid, different requests that share one unique value.
    std::vector<CreatePlan> plans;
    for (int i = 0; i < kWriters; ++i) plans.push_back(world.create_plan(r, type));
    const FieldValue shared = plans[0].expected.at(field);
    for (auto& plan : plans) {
      plan.command.fields[field] = shared;
      plan.expected[field] = shared;
    }
    Outcome outcomes[kWriters];
    together(kWriters, [&](int i) {
      outcomes[i] = all[i].handler->create(context_for(user_uuid(i)), plans[i].command);
    });
    int winners = 0;
    std::string winner;
    for (const auto& o : outcomes) {
      if (o.ok()) {
        ++winners;
        winner = o.entity.id;
      }
    }
    ASSERT_EQ(winners, 1);
    for (int i = 0; i < kWriters; ++i) {
      if (outcomes[i].ok()) continue;
      ASSERT_EQ(outcomes[i].kind, Kind::constraint) << describe(outcomes[i]);
      EXPECT_EQ(outcomes[i].constraint.rule, "unique_" + field);
      EXPECT_EQ(outcomes[i].constraint.other_entity_id, winner);
      EXPECT_FALSE(load(*store_, spec_of(type), plans[i].command.id).has_value());
      EXPECT_EQ(store_->stream_version(projections::stream_id_of(spec_of(type), plans[i].command.id)), 0);
    }
  }
}

// A create retried by several clients at once (same id, same fields) creates once; the
// others answer the entity. With other fields they are refused as id_taken.
TEST_P(DomainConcurrency, ParallelRetriesOfOneCreateCreateOnce) {
  constexpr int kWriters = 5;
  World world(*handler_, 0x80000005);
  SeededRandom r(13);
  auto all = writers(kWriters);
  for (const auto& type : all_entity_types()) {
    SCOPED_TRACE(type);
    const CreatePlan plan = world.create_plan(r, type);
    const bool same_fields = type != "resource";
    std::vector<CreateEntity> commands(kWriters, plan.command);
    if (!same_fields) {
      for (int i = 0; i < kWriters; ++i) commands[i].fields["name"] = "Resource " + std::to_string(i);
    }
    Outcome outcomes[kWriters];
    together(kWriters, [&](int i) {
      outcomes[i] = all[i].handler->create(context_for(user_uuid(i)), commands[i]);
    });
    int created = 0, answered = 0, taken = 0;
    for (const auto& o : outcomes) {
      if (o.ok() && o.created) ++created;
      if (o.ok() && !o.created) ++answered;
      if (o.kind == Kind::constraint && o.constraint.rule == "id_taken") ++taken;
    }
    EXPECT_EQ(created, 1);
    EXPECT_EQ(same_fields ? answered : taken, kWriters - 1);
    EXPECT_EQ(store_->stream_version(projections::stream_id_of(spec_of(type), plan.command.id)), 1);
  }
}

TEST_P(DomainConcurrency, ProgramDeletedWhileProjectsAreCreatedHasNoLiveProject) {
  constexpr int kCreators = 3;
  constexpr int kRounds = 3;
  constexpr int kMaxCreates = 2000;  // per creator; creators stop once the program is gone
  World world(*handler_, 0x80000004);
  SeededRandom r(11);
  auto all = writers(kCreators + 1);
  const EntitySpec& program_spec = spec_of("program");
  const EntitySpec& project_spec = spec_of("project");
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const EntityState program = world.create(r, "program");
    Failures failures;
    std::atomic<int> created{0}, refused{0};
    std::atomic<bool> program_deleted{false};
    together(kCreators + 1, [&](int t) {
      auto& handler = *all[t].handler;
      const auto context = context_for(user_uuid(t));
      if (t == kCreators) {
        // The deleter: once some projects came and went, tries with the current version
        // until the program is gone.
        while (created.load() < 5 && failures.get().empty()) std::this_thread::yield();
        while (!program_deleted) {
          const auto version =
              all[t].store->stream_version(projections::stream_id_of(program_spec, program.id));
          const Outcome o = handler.remove(context, DeleteEntity{&program_spec, program.id, version});
          if (o.ok()) {
            program_deleted = true;
          } else if (o.kind != Kind::constraint) {
            failures.add("delete: " + describe(o));
            return;
          }
        }
        return;
      }
      // A creator: creates a project under the program and deletes it again, until a
      // create is refused because the program is gone.
      SeededRandom mine(200 + t + 10 * round);
      for (int i = 0; i < kMaxCreates; ++i) {
        const std::string id = world_id(1000 + 100 * round + t, i);
        CreateEntity create{&project_spec, id, std::nullopt,
                            {{"program_id", program.id},
                             {"name", std::string("P")},
                             {"business_sponsor", std::string("s")},
                             {"project_manager", std::string("m")},
                             {"technical_lead", std::string("t")},
                             {"start_date", std::string("2020-01-01")},
                             {"end_date", std::string("2020-12-31")},
                             {"cost_center_code", "DEL-" + id}}};
        const Outcome o = handler.create(context, create);
        if (o.kind == Kind::validation && o.errors.size() == 1 && o.errors[0].field == "program_id") {
          ++refused;  // the program is gone
          return;
        }
        if (!o.ok()) {
          failures.add("create: " + describe(o));
          return;
        }
        ++created;
        std::this_thread::sleep_for(std::chrono::microseconds(mine.between(0, 100)));
        const Outcome removed = handler.remove(context, DeleteEntity{&project_spec, id, 1});
        if (!removed.ok()) failures.add("delete project: " + describe(removed));
        // Longer pauses without a project give the deleter its chances.
        std::this_thread::sleep_for(std::chrono::microseconds(mine.between(0, 1500)));
      }
      failures.add("the program was never deleted");
      program_deleted = true;  // let the deleter stop
    });
    report(failures);
    ASSERT_TRUE(program_deleted.load());
    std::cout << "[ delete   ] round " << round << ": " << created << " projects created, "
              << refused << " refused after the delete\n";
    EXPECT_EQ(refused.load(), kCreators);

    // No live project under the program; and in the log, every project under it was
    // created and deleted before the program's deletion.
    for (const auto& [key, row] : dump_read_models(*store_)) {
      if (key.rfind("project/", 0) == 0 && row.fields.at("program_id") == FieldValue{program.id}) {
        EXPECT_TRUE(row.deleted) << "live project " << row.id << " under a deleted program";
      }
    }
    std::int64_t program_deleted_at = 0;
    std::map<std::string, std::int64_t> last_event_of_child;
    std::map<std::string, bool> under_program;  // project stream -> belongs to the program
    for (const auto& e : all_events(*store_)) {
      if (e.stream_id == projections::stream_id_of(program_spec, program.id) &&
          e.event_type == "ProgramDeleted") {
        program_deleted_at = e.global_position;
      }
      if (e.stream_id.rfind("project-", 0) != 0) continue;
      auto known = under_program.find(e.stream_id);
      if (known == under_program.end()) {
        const auto row = load(*store_, project_spec, e.stream_id.substr(8));
        known = under_program.emplace(e.stream_id, row && row->fields.at("program_id") ==
                                                              FieldValue{program.id}).first;
      }
      if (known->second) last_event_of_child[e.stream_id] = e.global_position;
    }
    ASSERT_GT(program_deleted_at, 0);
    for (const auto& [stream, position] : last_event_of_child) {
      EXPECT_LT(position, program_deleted_at) << stream << " changed after its program was deleted";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, DomainConcurrency, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
