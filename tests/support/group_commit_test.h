// A fixture for tests of PostgreSQL's group commit (store/postgres/pg_group_commit.h): a
// fresh migrated store, the test's own table, and a group of one batch at a time beside it.
#pragma once

#include <memory>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <string>

#include "store/postgres/pg_group_commit.h"
#include "tests/support/store_test.h"

namespace folio::testing {

class GroupCommitTest : public StoreTest {
 protected:
  // The DDL of the table the test's statements write.
  virtual std::string table_ddl() const = 0;

  store::StoreOptions store_options() const override {
    return {.connections = 8, .group_commits = 1};
  }
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    sql(table_ddl());
    group_ = std::make_unique<store::postgres::PgGroupCommit>(db_->url(), 1);
  }
  void TearDown() override {
    group_.reset();
    StoreTest::TearDown();
  }

  void sql(const std::string& statement) {
    pqxx::connection connection(db_->url());
    pqxx::nontransaction tx(connection);
    tx.exec(statement);
  }
  // The first column of `query`'s one row, as text ("NULL" for NULL).
  std::string text(const std::string& query) {
    pqxx::connection connection(db_->url());
    pqxx::nontransaction tx(connection);
    const auto row = tx.exec1(query);
    return row[0].is_null() ? "NULL" : row[0].c_str();
  }

  std::unique_ptr<store::postgres::PgGroupCommit> group_;
};

}  // namespace folio::testing
