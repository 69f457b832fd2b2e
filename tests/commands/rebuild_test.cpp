// Rebuilding read models from the event log (projections/rebuild.h), on both backends:
//   - after random histories the rebuilt read models equal the inline ones, row for row
//     (timestamps included), and password hashes are left alone;
//   - a rebuild while 8 writer threads keep issuing commands ends equal to a fresh fold of
//     every stream;
//   - an interrupted rebuild (its shadow tables and checkpoint left behind) resumes, and
//     one with another entity set starts over.
// The kill -9 of the real binary is in tests/http/rebuild_process_test.cpp.
#include "projections/rebuild.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <atomic>
#include <thread>

#include "projections/fold.h"
#include "tests/commands/command_sequence.h"
#include "tests/support/thread_failures.h"

namespace folio::testing {
namespace {

constexpr int kMaxRebuildOps = 8;  // small cases keep the suite fast

class Rebuild : public DomainTest {};

std::map<std::string, std::optional<std::string>> password_hashes(
    store::EventStore& store, const std::map<std::string, EntityState>& rows) {
  std::map<std::string, std::optional<std::string>> hashes;
  for (const auto& [key, state] : rows) {
    if (key.rfind("user/", 0) == 0) hashes[state.id] = password_hash_of(store, state.id);
  }
  return hashes;
}

// The fold of every stream of the log, keyed like dump_read_models.
std::map<std::string, EntityState> fold_every_stream(store::EventStore& store) {
  std::map<std::string, std::vector<events::RecordedEvent>> streams;
  for (auto& event : all_events(store)) streams[event.stream_id].push_back(std::move(event));
  std::map<std::string, EntityState> folded;
  for (const auto& [stream_id, events] : streams) {
    const std::string type = events::entity_type_of_stream(stream_id);
    const std::string id = stream_id.substr(type.size() + 1);
    folded[type + "/" + id] = projections::fold(spec_of(type), id, events);
  }
  return folded;
}

std::string first_difference(const std::map<std::string, EntityState>& a,
                             const std::map<std::string, EntityState>& b) {
  for (const auto& [key, state] : a) {
    const auto it = b.find(key);
    if (it == b.end()) return key + " missing on the right";
    if (!(it->second == state)) return key + ": " + describe(state) + " vs " + describe(it->second);
  }
  for (const auto& [key, state] : b) {
    if (!a.contains(key)) return key + " missing on the left";
  }
  return "";
}

void create_every_type(World& world, Random& r, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    for (const auto& type : all_entity_types()) world.create(r, type);
  }
}

TEST_P(Rebuild, RebuiltReadModelsEqualTheInlineOnesAfterRandomHistories) {
  unsigned tag = 0x60000000;
  World world(*handler_, 0x61000001);
  const auto types = all_entity_types();
  std::int64_t head = 0;
  ASSERT_TRUE(check_property("rebuild = inline read models", kPropertyCases, kMaxRebuildOps, [&] {
    const auto ops = *sequence::gen_ops(kMaxRebuildOps);
    sequence::Runner runner(*handler_, *store_, ++tag);
    for (std::size_t i = 0; i < ops.size(); ++i) runner.run(ops[i], i);
    // Every entity type (users with passwords too) over the cases: one created and updated.
    RcRandom r;
    const std::string& type = types[static_cast<std::size_t>(r.between(0, 12))];
    const EntityState created = world.create(r, type);
    require_ok(
        handler_->update(world.context(), UpdateEntity{&spec_of(type), created.id, 1,
                                                       world.update_plan(r, type, created).sent}),
        "update");

    const auto inline_rows = dump_read_models(*store_);
    const auto hashes = password_hashes(*store_, inline_rows);
    head = log_head(*store_, head);
    projections::RebuildOptions options;
    // The log split into 1 to 6 batches: other batch boundaries every case, and a number of
    // transactions that does not grow with the log the cases share.
    options.batch_size =
        static_cast<std::size_t>(std::max<std::int64_t>(1, head / r.between(1, 6)));
    if (r.chance(20)) options.entity_types = {type, "resource_assignment"};
    const auto result = projections::rebuild_read_models(*store_, options);
    RC_ASSERT(!result.resumed);
    RC_ASSERT(result.position == head);
    const auto rebuilt = dump_read_models(*store_);
    RC_LOG() << first_difference(inline_rows, rebuilt) << "\n";
    RC_ASSERT(rebuilt == inline_rows);
    RC_ASSERT(password_hashes(*store_, rebuilt) == hashes);
  }));
}

TEST_P(Rebuild, RebuildWhileEightWritersWriteEndsEqualToAFreshFold) {
  constexpr int kWriters = 8;
  {
    World seed(*handler_, 0x62000001);
    SeededRandom r(7);
    create_every_type(seed, r, 3);
  }
  const auto seeded = dump_read_models(*store_);
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  Failures failures;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      try {
        World world(*handler_, 0x63000001u + static_cast<unsigned>(w));
        SeededRandom r(100u + static_cast<unsigned>(w));
        const std::vector<std::string> types = {"portfolio", "resource", "worker_type",
                                                "resource_assignment", "project"};
        while (!stop) {
          const std::string& type = r.pick(types);
          EntityState state = world.create(r, type);
          for (int u = 0; u < 2; ++u) {
            state =
                require_ok(handler_->update(world.context(),
                                            UpdateEntity{&spec_of(type), state.id, state.version,
                                                         world.update_plan(r, type, state).sent}),
                           "update")
                    .entity;
          }
          writes += 3;
        }
      } catch (const std::exception& e) {
        failures.add(std::string("writer: ") + e.what());
      }
    });
  }
  // A reader keeps reading the seeded entities: never missing, never a half-built table.
  std::atomic<int> reads{0};
  writers.emplace_back([&] {
    try {
      while (!stop) {
        for (const auto& [key, state] : seeded) {
          const std::string type = key.substr(0, key.find('/'));
          const auto now = load(*store_, spec_of(type), state.id);
          if (!now || now->version < state.version)
            failures.add("reader: " + key + " went missing");
          ++reads;
        }
      }
    } catch (const std::exception& e) {
      failures.add(std::string("reader: ") + e.what());
    }
  });
  while (writes < 40 && failures.get().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  projections::RebuildOptions options;
  options.batch_size = 20;
  projections::RebuildResult result;
  try {
    result = projections::rebuild_read_models(*store_, options);
  } catch (const std::exception& e) {
    failures.add(std::string("rebuild: ") + e.what());
  }
  const int writes_at_end = writes;
  // Keep writing a little after the swap: the writers must go on with the new tables.
  while (writes < writes_at_end + 24 && failures.get().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_TRUE(failures.get().empty()) << failures.get().front();
  EXPECT_GT(result.events, 0);
  EXPECT_GT(reads.load(), 0);
  const auto rows = dump_read_models(*store_);
  const auto folded = fold_every_stream(*store_);
  EXPECT_EQ(first_difference(folded, rows), "");
  EXPECT_TRUE(rows == folded);
}

// Simulates a run killed after some batches: the shadow tables and the checkpoint of a
// first, partial run are left behind.
void interrupt_after_batches(store::EventStore& store, std::vector<std::string> types,
                             int batches) {
  struct Stop {};
  projections::RebuildOptions options;
  options.entity_types = std::move(types);
  options.batch_size = 3;
  int calls = 0;
  options.progress = [&](std::int64_t, std::int64_t) {
    if (++calls > batches) throw Stop{};
  };
  try {
    projections::rebuild_read_models(store, options);
    FAIL() << "the rebuild ended before it was interrupted";
  } catch (const Stop&) {
  }
}

// The read models of access move the access epoch by trigger (migration 0006); a rebuild
// replaces those tables, moves the epoch itself and puts the triggers on the new ones, so
// that a write to them afterwards (by Folio or by hand) still moves it.
TEST_P(Rebuild, TheAccessEpochMovesWithTheRebuildAndWithWritesAfterIt) {
  World world(*handler_, 0x66000001);
  SeededRandom r(5);
  create_every_type(world, r, 2);
  const auto epoch = [&] {
    std::int64_t value = 0;
    store_->transact(store::Access::read_statement, [&](store::Transaction& tx) {
      value = std::get<std::int64_t>(tx.query("SELECT epoch FROM access_epoch", {}).at(0).at(0));
      return store::Verdict::commit;
    });
    return value;
  };
  const auto by_hand = [&](const char* sql) {
    store_->transact(store::Access::read_write, [&](store::Transaction& tx) {
      tx.execute(sql, {});
      return store::Verdict::commit;
    });
  };
  const std::int64_t before = epoch();
  by_hand("UPDATE users SET is_active = is_active");
  EXPECT_GT(epoch(), before) << "a write to users moves the epoch";
  const std::int64_t before_rebuild = epoch();
  projections::rebuild_read_models(*store_, {});
  const std::int64_t after_rebuild = epoch();
  EXPECT_GT(after_rebuild, before_rebuild) << "the rebuild moves the epoch";
  for (const char* sql :
       {"UPDATE users SET is_active = is_active", "UPDATE user_roles SET is_active = is_active",
        "UPDATE scope_assignments SET is_active = is_active"}) {
    const std::int64_t now = epoch();
    by_hand(sql);
    EXPECT_GT(epoch(), now) << sql << " after the rebuild";
  }
  // Other read models do not move it.
  const std::int64_t now = epoch();
  by_hand("UPDATE resources SET name = name");
  EXPECT_EQ(epoch(), now);
}

TEST_P(Rebuild, AnInterruptedRebuildResumesFromItsCheckpointAndEndsEqual) {
  World world(*handler_, 0x64000001);
  SeededRandom r(3);
  create_every_type(world, r, 4);
  const auto inline_rows = dump_read_models(*store_);
  interrupt_after_batches(*store_, {}, 4);
  // Writes between the runs are caught up too.
  const EntityState late = world.create(r, "resource");
  const auto with_late = dump_read_models(*store_);
  EXPECT_EQ(with_late.size(), inline_rows.size() + 1);
  const auto result = projections::rebuild_read_models(*store_, {});
  EXPECT_TRUE(result.resumed);
  EXPECT_GT(result.resumed_from, 0);
  EXPECT_EQ(result.discarded, "");
  EXPECT_EQ(first_difference(with_late, dump_read_models(*store_)), "");
  EXPECT_TRUE(load(*store_, spec_of("resource"), late.id).has_value());
}

TEST_P(Rebuild, ARunWithOtherEntityTypesDiscardsTheInterruptedOneAndStartsOver) {
  World world(*handler_, 0x65000001);
  SeededRandom r(4);
  create_every_type(world, r, 4);
  const auto inline_rows = dump_read_models(*store_);
  interrupt_after_batches(*store_, {"project"}, 3);
  const auto result = projections::rebuild_read_models(*store_, {{"resource", "project"}, 4, {}});
  EXPECT_FALSE(result.resumed);
  EXPECT_EQ(result.discarded, "project");
  EXPECT_EQ(result.entity_types, (std::vector<std::string>{"project", "resource"}));
  EXPECT_EQ(first_difference(inline_rows, dump_read_models(*store_)), "");
  // And a later full rebuild finds no leftovers in its way.
  EXPECT_FALSE(projections::rebuild_read_models(*store_, {}).resumed);
  EXPECT_EQ(first_difference(inline_rows, dump_read_models(*store_)), "");
}

TEST_P(Rebuild, ALongReaderOfTheLiveTablesDelaysTheSwapButDoesNotFailIt) {
  World world(*handler_, 0x68000001);
  SeededRandom r(5);
  create_every_type(world, r, 1);
  const auto inline_rows = dump_read_models(*store_);
  static constexpr const char* kReadPortfolios = "SELECT id FROM portfolios";
  std::atomic<bool> reading{false};
  Failures failures;
  // Holds its read of a live table (PostgreSQL: an ACCESS SHARE lock) for 2.5 s, longer
  // than the swap waits for its locks (1 s): the swap gives up, catches up, tries again.
  std::thread reader([&] {
    try {
      store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
        tx.query(kReadPortfolios, {});
        reading = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        return store::Verdict::commit;
      });
    } catch (const std::exception& e) {
      failures.add(e.what());
    }
  });
  while (!reading) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  projections::RebuildResult result;
  EXPECT_NO_THROW(result = projections::rebuild_read_models(*store_, {}));
  reader.join();
  EXPECT_TRUE(failures.get().empty());
  EXPECT_EQ(first_difference(inline_rows, dump_read_models(*store_)), "");
}

TEST_P(Rebuild, UnknownEntityTypesAreRefusedBeforeAnythingIsWritten) {
  EXPECT_THROW(projections::rebuild_read_models(*store_, {{"project", "nope"}, 10, {}}),
               std::invalid_argument);
  store_->transact(store::Access::read_only, [](store::Transaction& tx) {
    EXPECT_FALSE(projections::read_checkpoint(tx, projections::kRebuildJob).has_value());
    return store::Verdict::commit;
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, Rebuild, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
