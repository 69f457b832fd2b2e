// A lock another connection holds, for tests of what waits behind it: on PostgreSQL the
// row of one portfolio (FOR UPDATE: an update of it waits), on SQLite the database's write
// lock (BEGIN IMMEDIATE: every write waits). Held until release() or destruction.
#pragma once

#include <string>

#include "tests/support/held_transaction.h"

namespace folio::http_test {

class HeldLock : public testing::HeldTransaction {
 public:
  HeldLock(const testing::TestDatabase& db, const std::string& portfolio_id)
      : HeldTransaction(db, store::Access::read_write, [&db, portfolio_id](store::Transaction& tx) {
          if (db.backend() != testing::Backend::postgres) return;
          const store::SqlValue key = portfolio_id;
          tx.query("SELECT id FROM portfolios WHERE id = $1 FOR UPDATE", {&key, 1});
        }) {}
};

}  // namespace folio::http_test
