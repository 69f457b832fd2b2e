// GET of one entity runs one statement: the bearer token's user, roles and scopes joined
// with the entity's row (commands::ActorAndEntityRead). It runs on every authenticated read,
// so it must find each row through a key or an index on both backends, for every entity
// type: a full scan of any table but the one-row access_epoch would cost in proportion to
// the users, grants or entities stored.
#include <gtest/gtest.h>

#include <sstream>

#include "commands/actor_and_entity_read.h"
#include "events/entity_catalog.h"
#include "tests/support/query_plan.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

// The lines of `plan` that read a whole table (or a whole index), other than access_epoch's.
std::string full_scans(const std::string& plan, Backend backend) {
  std::istringstream lines(plan);
  std::string line, found;
  while (std::getline(lines, line)) {
    const bool whole = backend == Backend::postgres ? line.find("Seq Scan") != std::string::npos
                                                    : line.rfind("SCAN ", 0) == 0;
    if (whole && line.find("access_epoch") == std::string::npos) found += line + "\n";
  }
  return found;
}

// `rows` tokens for the planning rows' users, then statistics: an empty auth_tokens leaves
// PostgreSQL's planner free to walk any of its indexes (auth_tokens_user_id, filtering).
void fill_tokens_for_planning(store::EventStore& store, int rows = 300) {
  const auto& users = events::entity("user");
  store.transact(store::Access::read_write, [&](store::Transaction& tx) {
    for (int n = 1; n <= rows; ++n) {
      const std::vector<store::SqlValue> params{std::to_string(n), planning_row(users, n).id};
      tx.execute(
          "INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at)"
          " VALUES ($1, $2, '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z')",
          params);
    }
    tx.execute("ANALYZE auth_tokens", {});  // this table only (query_plan.h says why)
    return store::Verdict::commit;
  });
}

class TokenReadQueryPlan : public StoreTest {};

TEST_P(TokenReadQueryPlan, FindsTheTokenItsUserAndTheEntityByKeyForEveryEntityType) {
  fill_read_models_for_planning(*store_);
  fill_tokens_for_planning(*store_);
  const commands::TokenCheck token{std::string(64, 'a'), "2026-01-01T00:00:00.000Z", nullptr};
  for (const auto& spec : events::all_entities()) {
    // No remembered actor: the statement that reads the token's actor with the row.
    commands::ActorAndEntityRead read(token, spec, planning_row(spec, 7).id);
    const std::vector<store::SqlValue> params(read.params().begin(), read.params().end());
    const std::string plan = plan_of(*store_, GetParam(), read.sql(), params);
    EXPECT_EQ(full_scans(plan, GetParam()), "") << spec.type << ":\n" << plan;
    // The token by its primary key (token_hash), not through the user's tokens.
    const bool by_token_key =
        GetParam() == Backend::postgres
            ? plan.find("auth_tokens_pkey") != std::string::npos
            : plan.find("sqlite_autoindex_auth_tokens_1") != std::string::npos;
    EXPECT_TRUE(by_token_key) << spec.type << ":\n" << plan;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, TokenReadQueryPlan, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
