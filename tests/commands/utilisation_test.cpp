// The asynchronous resource utilisation view (projections/utilisation.h) driven by the
// catch-up runner, on both backends: after random assignment histories (creates, updates,
// deletes, bulk updates from several users, capacity conflicts) and a catch-up in random
// batch sizes, it equals the sum computed directly from the live read models, and a second
// runner of the same job applies nothing twice.
#include "projections/utilisation.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "tests/commands/command_sequence.h"

namespace folio::testing {
namespace {

constexpr int kMaxAssignmentOps = 12;

class Utilisation : public DomainTest {};

using DayKey = std::pair<std::string, std::string>;  // resource id, day

// Sum of capital + expense of the live assignments, per resource and day, from the read
// models; days that sum to 0 left out.
std::map<DayKey, std::int64_t> direct(store::EventStore& store) {
  std::map<DayKey, std::int64_t> sums;
  for (const auto& [key, state] : dump_read_models(store)) {
    if (key.rfind("resource_assignment/", 0) != 0 || state.deleted) continue;
    const auto sum = projections::int_field(state.fields, "capital_percentage") +
                     projections::int_field(state.fields, "expense_percentage");
    sums[{projections::text_field(state.fields, "resource_id"),
          projections::text_field(state.fields, "assignment_date")}] += sum;
  }
  std::erase_if(sums, [](const auto& entry) { return entry.second == 0; });
  return sums;
}

std::map<DayKey, std::int64_t> view(store::EventStore& store) {
  static constexpr const char* kAll =
      "SELECT resource_id, day, allocated_percentage FROM resource_utilisation"
      " WHERE allocated_percentage <> 0";
  std::map<DayKey, std::int64_t> sums;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    sums.clear();
    for (const auto& row : tx.query(kAll, {})) {
      sums[{std::get<std::string>(row[0]), std::get<std::string>(row[1])}] =
          std::get<std::int64_t>(row[2]);
    }
    return store::Verdict::commit;
  });
  return sums;
}

TEST_P(Utilisation, TheViewEqualsADirectComputationAfterRandomAssignmentHistories) {
  unsigned tag = 0x66000000;
  projections::UtilisationView utilisation;
  ASSERT_TRUE(
      check_property("utilisation view = direct sum", kPropertyCases, kMaxAssignmentOps, [&] {
        const auto ops = *sequence::gen_ops(kMaxAssignmentOps);
        sequence::Runner runner(*handler_, *store_, ++tag);
        for (std::size_t i = 0; i < ops.size(); ++i) runner.run(ops[i], i);
        const auto batch = static_cast<std::size_t>(uniform(1, 20));
        projections::CatchUpRunner catch_up(*store_, projections::kUtilisationJob, utilisation,
                                            batch);
        catch_up.run();
        RC_ASSERT(catch_up.checkpoint() == log_head(*store_));
        // A second runner of the job finds nothing left to apply.
        projections::CatchUpRunner other(*store_, projections::kUtilisationJob, utilisation, 7);
        RC_ASSERT(other.step() == 0u);
        const auto want = direct(*store_);
        RC_ASSERT(view(*store_) == want);

        // The per-day query: every day of a range, zeros included.
        if (!want.empty()) {
          const auto& [key, sum] = *want.begin();
          const auto day = *projections::parse_day(key.second);
          std::vector<projections::DayUtilisation> days;
          store_->transact(store::Access::read_only, [&, &key = key](store::Transaction& tx) {
            days = projections::resource_utilisation(tx, key.first, day - std::chrono::days(1),
                                                     day + std::chrono::days(1));
            return store::Verdict::commit;
          });
          RC_ASSERT(days.size() == 3u);
          RC_ASSERT(days[1] == (projections::DayUtilisation{key.second, sum}));
          const auto before = want.find({key.first, days[0].date});
          RC_ASSERT(days[0].allocated_percentage == (before == want.end() ? 0 : before->second));
        }
      }));
}

TEST(UtilisationDays, DatesParseOnlyWhenTheyAreCalendarDates) {
  EXPECT_TRUE(projections::parse_day("2028-02-29").has_value());
  EXPECT_EQ(projections::format_day(*projections::parse_day("2026-12-31")), "2026-12-31");
  for (const char* bad : {"2027-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "26-01-01",
                          "2026-01-01x", "2026/01/01", "", "abcd-ef-gh", "2026-01-32"}) {
    EXPECT_FALSE(projections::parse_day(bad).has_value()) << bad;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Utilisation, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
