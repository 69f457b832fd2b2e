// A login finds the user by name through the unique index on lower(username), on both
// backends: the query must repeat that partial index's conditions (not deleted, not an
// erased name), or every login scans all users, Argon2 aside the one cost that grows
// with the number of users.
#include <gtest/gtest.h>

#include "http/auth.h"
#include "tests/support/query_plan.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

class LoginQueryPlan : public StoreTest {};

TEST_P(LoginQueryPlan, UsesTheUsernameIndex) {
  fill_read_models_for_planning(*store_);
  const std::string plan =
      plan_of(*store_, GetParam(), http::credentials_query(), {std::string("VALUE 7")});
  EXPECT_NE(plan.find("users_username_unique"), std::string::npos) << plan;
}

INSTANTIATE_TEST_SUITE_P(Backends, LoginQueryPlan, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
