// The catch-up runner (projections/catch_up.h) on both backends: while writers append, two
// runners of one job (two servers) step through the log with different batch sizes, one of
// them failing every few batches; every event ends up applied exactly once, none skipped.
// The view records each position under a primary key, so a batch applied twice fails.
#include "projections/catch_up.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/support/store_test.h"
#include "tests/support/thread_failures.h"

namespace folio::testing {
namespace {

constexpr const char* kCreateSeen = "CREATE TABLE seen_positions (position BIGINT PRIMARY KEY)";
constexpr const char* kInsertSeen = "INSERT INTO seen_positions (position) VALUES ($1)";
constexpr const char* kSelectSeen = "SELECT position FROM seen_positions ORDER BY position";

// What the view throws on purpose (anything else, a UniqueViolation of a batch applied
// twice included, fails the test).
struct ViewFailure {};

class SeenView final : public projections::CatchUpView {
 public:
  explicit SeenView(int fail_every) : fail_every_(fail_every) {}
  void apply(store::Transaction& tx, std::span<const events::RecordedEvent> events) override {
    for (const auto& e : events) {
      const store::SqlValue position{e.global_position};
      tx.execute(kInsertSeen, std::span(&position, 1));
    }
    if (fail_every_ > 0 && ++batches_ % fail_every_ == 0) {
      throw ViewFailure{};  // after writing this batch
    }
  }

 private:
  int fail_every_;
  int batches_ = 0;
};

class CatchUp : public StoreTest {};

TEST_P(CatchUp, EveryEventIsAppliedOnceDespiteFailuresConcurrentAppendsAndTwoRunners) {
  store_->transact(store::Access::read_write, [](store::Transaction& tx) {
    tx.execute_script(kCreateSeen);
    return store::Verdict::commit;
  });
  // A failing batch is rolled back together with its checkpoint advance: nothing seen,
  // the checkpoint where it was.
  append("stream-seed", store::ExpectedVersion::no_stream(), make_events(3, "seed"));
  {
    SeenView always_failing(1);
    projections::CatchUpRunner runner(*store_, "test-job", always_failing, 10);
    EXPECT_THROW(runner.step(), ViewFailure);
    EXPECT_EQ(runner.checkpoint(), 0);
    store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
      EXPECT_TRUE(tx.query(kSelectSeen, {}).empty());
      return store::Verdict::commit;
    });
  }

  constexpr int kWriters = 4;
  constexpr int kAppends = 40;
  std::atomic<int> writing{kWriters};
  Failures failures;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kAppends; ++i) {
        const auto events = make_events(1 + i % 3, "w" + std::to_string(w));
        append("stream-" + std::to_string(w) + "-" + std::to_string(i),
               store::ExpectedVersion::no_stream(), events);
      }
      --writing;
    });
  }
  std::atomic<int> failed_batches{0};
  auto run = [&](std::size_t batch, int fail_every) {
    SeenView view(fail_every);
    projections::CatchUpRunner runner(*store_, "test-job", view, batch);
    for (;;) {
      const bool done_writing = writing == 0;  // read before stepping: then one more pass
      std::size_t applied = 0;
      try {
        applied = runner.step();
      } catch (const ViewFailure&) {
        ++failed_batches;  // the batch is rolled back with its checkpoint advance
        continue;
      }
      if (applied == 0 && done_writing && runner.checkpoint() >= runner.current_head()) return;
    }
  };
  threads.emplace_back([&] {
    try {
      run(3, 3);
    } catch (const std::exception& e) {
      failures.add(e.what());
    }
  });
  threads.emplace_back([&] {
    try {
      run(7, 0);
    } catch (const std::exception& e) {
      failures.add(e.what());
    }
  });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(failures.get().empty()) << failures.get().front();

  std::vector<std::int64_t> expected;
  for (const auto& e : everything()) expected.push_back(e.global_position);
  std::vector<std::int64_t> seen;
  store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
    seen.clear();
    for (const auto& row : tx.query(kSelectSeen, {}))
      seen.push_back(std::get<std::int64_t>(row[0]));
    return store::Verdict::commit;
  });
  EXPECT_EQ(seen, expected);
  std::size_t appended = 3;  // the seed
  for (int i = 0; i < kAppends; ++i) appended += static_cast<std::size_t>(kWriters * (1 + i % 3));
  EXPECT_EQ(expected.size(), appended);
  store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
    EXPECT_EQ(projections::read_checkpoint(tx, "test-job")->position, expected.back());
    return store::Verdict::commit;
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, CatchUp, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
