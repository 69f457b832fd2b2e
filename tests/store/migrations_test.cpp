// Schema migrations on both backends: what `up` creates (checked by introspecting the
// database itself), that it is idempotent and reversible, and what `status` reports.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/migrator.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using Row = std::vector<std::optional<std::string>>;

// Raw SQL on a test database, bypassing the store.
class RawDb {
 public:
  virtual ~RawDb() = default;
  virtual std::vector<Row> query(const std::string& sql) = 0;
  void exec(const std::string& sql) { query(sql); }
  virtual std::string quote(const std::string& text) = 0;
};

class SqliteRawDb : public RawDb {
 public:
  explicit SqliteRawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open " + path + ": " + message);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~SqliteRawDb() override { sqlite3_close(db_); }

  std::vector<Row> query(const std::string& sql) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
          row.push_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
          row.push_back(std::string(text, sqlite3_column_bytes(stmt, i)));
        }
      }
      rows.push_back(std::move(row));
    }
    const std::string error = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + error);
    return rows;
  }

  std::string quote(const std::string& text) override {
    std::string out = "'";
    for (char ch : text) out += ch == '\'' ? std::string("''") : std::string(1, ch);
    return out + "'";
  }

 private:
  sqlite3* db_ = nullptr;
};

class PgRawDb : public RawDb {
 public:
  // The URL selects the test's schema through search_path.
  explicit PgRawDb(const std::string& url) : conn_(url) {}

  std::vector<Row> query(const std::string& sql) override {
    pqxx::work tx(conn_);
    const pqxx::result result = tx.exec(sql);
    tx.commit();
    std::vector<Row> rows;
    for (const auto& r : result) {
      Row row;
      for (const auto& field : r) {
        row.push_back(field.is_null() ? std::nullopt : std::optional<std::string>(field.c_str()));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::string quote(const std::string& text) override {
    pqxx::nontransaction tx(conn_);
    return tx.quote(text);
  }

 private:
  pqxx::connection conn_;
};

// ---- a comparable description of the schema ---------------------------------------------

struct Column {
  std::string type;  // upper case
  bool not_null = false;
  std::optional<std::string> default_value;  // as the database reports it
  bool operator==(const Column&) const = default;
};

struct Index {
  bool unique = false;
  bool partial = false;
  std::vector<std::string> columns;
  bool operator==(const Index&) const = default;
};

struct Table {
  std::vector<std::pair<std::string, Column>> columns;  // in column order
  std::vector<std::string> primary_key;
  std::map<std::string, Index> indexes;  // by name (includes those behind constraints)
  bool operator==(const Table&) const = default;

  const Column* column(const std::string& name) const {
    for (const auto& [n, c] : columns) {
      if (n == name) return &c;
    }
    return nullptr;
  }
  bool has_unique_key(const std::vector<std::string>& key) const {
    if (primary_key == key) return true;
    for (const auto& [name, index] : indexes) {
      if (index.unique && !index.partial && index.columns == key) return true;
    }
    return false;
  }
};

using Schema = std::map<std::string, Table>;

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

std::string describe(const Schema& schema) {
  std::ostringstream os;
  for (const auto& [name, table] : schema) {
    os << "TABLE " << name << "\n";
    for (const auto& [cname, c] : table.columns) {
      os << "  " << cname << " " << c.type << (c.not_null ? " NOT NULL" : "")
         << (c.default_value ? " DEFAULT " + *c.default_value : "") << "\n";
    }
    os << "  PRIMARY KEY (";
    for (const auto& k : table.primary_key) os << k << " ";
    os << ")\n";
    for (const auto& [iname, index] : table.indexes) {
      os << "  " << (index.unique ? "UNIQUE " : "") << "INDEX " << iname << " (";
      for (const auto& k : index.columns) os << k << " ";
      os << ")" << (index.partial ? " WHERE ..." : "") << "\n";
    }
  }
  return os.str();
}

std::string str(const std::optional<std::string>& v) { return v.value_or(""); }

Schema introspect_sqlite(RawDb& db) {
  Schema schema;
  for (const auto& t : db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                "name NOT LIKE 'sqlite_%' ORDER BY name")) {
    const std::string table_name = str(t[0]);
    Table& table = schema[table_name];
    std::map<int, std::string> pk;
    for (const auto& c : db.query("PRAGMA table_info(" + db.quote(table_name) + ")")) {
      // cid, name, type, notnull, dflt_value, pk
      table.columns.push_back({str(c[1]), Column{upper(str(c[2])), str(c[3]) == "1", c[4]}});
      if (str(c[5]) != "0") pk[std::stoi(str(c[5]))] = str(c[1]);
    }
    for (const auto& [order, name] : pk) table.primary_key.push_back(name);
    for (const auto& i : db.query("PRAGMA index_list(" + db.quote(table_name) + ")")) {
      // seq, name, unique, origin, partial
      Index index;
      index.unique = str(i[2]) == "1";
      index.partial = str(i[4]) == "1";
      for (const auto& k : db.query("PRAGMA index_info(" + db.quote(str(i[1])) + ")")) {
        index.columns.push_back(str(k[2]));  // seqno order
      }
      table.indexes[str(i[1])] = index;
    }
  }
  return schema;
}

Schema introspect_postgres(RawDb& db, const std::string& schema_name) {
  Schema schema;
  const std::string ns = db.quote(schema_name);
  for (const auto& t : db.query("SELECT table_name FROM information_schema.tables WHERE "
                                "table_schema = " +
                                ns +
                                " AND table_type = 'BASE TABLE' "
                                "ORDER BY table_name")) {
    const std::string table_name = str(t[0]);
    const std::string tn = db.quote(table_name);
    Table& table = schema[table_name];
    for (const auto& c : db.query("SELECT column_name, data_type, is_nullable, column_default "
                                  "FROM information_schema.columns WHERE table_schema = " +
                                  ns + " AND table_name = " + tn + " ORDER BY ordinal_position")) {
      table.columns.push_back({str(c[0]), Column{upper(str(c[1])), str(c[2]) == "NO", c[3]}});
    }
    for (const auto& i :
         db.query("SELECT ic.relname, i.indisprimary, i.indisunique, i.indpred IS NOT NULL, "
                  "  (SELECT string_agg(a.attname, ',' ORDER BY k.ord) "
                  "     FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                  "     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) "
                  "FROM pg_index i "
                  "JOIN pg_class t ON t.oid = i.indrelid "
                  "JOIN pg_namespace n ON n.oid = t.relnamespace "
                  "JOIN pg_class ic ON ic.oid = i.indexrelid "
                  "WHERE n.nspname = " +
                  ns + " AND t.relname = " + tn)) {
      Index index;
      index.unique = str(i[2]) == "t";
      index.partial = str(i[3]) == "t";
      std::stringstream columns(str(i[4]));
      for (std::string col; std::getline(columns, col, ',');) index.columns.push_back(col);
      if (str(i[1]) == "t") table.primary_key = index.columns;
      table.indexes[str(i[0])] = index;
    }
  }
  return schema;
}

struct ExpectedColumn {
  std::string name;
  std::string type;
  bool not_null;
  std::optional<std::string> default_value;
};

void expect_columns(const Schema& schema, const std::string& table_name,
                    const std::vector<ExpectedColumn>& expected) {
  const auto t = schema.find(table_name);
  ASSERT_NE(t, schema.end()) << "no table " << table_name << " in\n" << describe(schema);
  for (const auto& want : expected) {
    SCOPED_TRACE(table_name + "." + want.name);
    const Column* got = t->second.column(want.name);
    ASSERT_NE(got, nullptr) << "missing column";
    EXPECT_EQ(got->type, want.type);
    EXPECT_EQ(got->not_null, want.not_null);
    EXPECT_EQ(got->default_value, want.default_value);
  }
}

// ---- the fixture ------------------------------------------------------------------------

class Migrations : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    try {
      db_ = TestDatabase::create(GetParam());  // empty, not migrated
      target_ = store::open_migration_target(db_->url());
      if (GetParam() == Backend::sqlite) {
        raw_ = std::make_unique<SqliteRawDb>(db_->location());
      } else {
        raw_ = std::make_unique<PgRawDb>(db_->url());
      }
    } catch (const std::exception& e) {
      FAIL() << "cannot set up a fresh " << backend_name(GetParam()) << " database: " << e.what();
    }
  }

  bool sqlite() const { return GetParam() == Backend::sqlite; }

  Schema schema() {
    return sqlite() ? introspect_sqlite(*raw_) : introspect_postgres(*raw_, db_->location());
  }

  store::Migrator migrator() { return store::Migrator(*target_); }
  std::string dialect() const { return sqlite() ? "sqlite" : "postgresql"; }
  const std::vector<store::Migration>& bundled() const {
    return store::bundled_migrations(dialect());
  }
  std::vector<int> all_numbers() const {
    std::vector<int> numbers;
    for (const auto& m : bundled()) numbers.push_back(m.number);
    return numbers;
  }

  // What migration 1 creates.
  void expect_event_store_schema(const Schema& s) {
    SCOPED_TRACE(describe(s));
    const std::string blob = sqlite() ? "BLOB" : "BYTEA";
    const std::string position_type = sqlite() ? "INTEGER" : "BIGINT";
    const std::optional<std::string> zero = "0";
    const std::optional<std::string> one = "1";
    const std::optional<std::string> empty_text = sqlite() ? "''" : "''::text";
    const std::optional<std::string> none;

    expect_columns(s, "streams",
                   {{"stream_id", "TEXT", true, none},
                    {"entity_type", "TEXT", true, none},
                    {"version", "BIGINT", true, zero}});
    expect_columns(s, "events",
                   {{"global_position", position_type, true, none},
                    {"stream_id", "TEXT", true, none},
                    {"stream_version", "BIGINT", true, none},
                    {"event_type", "TEXT", true, none},
                    {"schema_version", "INTEGER", true, one},
                    {"payload", blob, true, none},
                    {"recorded_at", "TEXT", true, none},
                    {"user_id", "TEXT", true, empty_text},
                    {"request_id", "TEXT", true, empty_text},
                    {"command_id", "TEXT", false, none}});
    ASSERT_TRUE(s.count("streams") && s.count("events"));
    EXPECT_EQ(s.at("streams").primary_key, std::vector<std::string>{"stream_id"});
    EXPECT_EQ(s.at("events").primary_key, std::vector<std::string>{"global_position"});
    EXPECT_TRUE(s.at("events").has_unique_key({"stream_id", "stream_version"}))
        << "no UNIQUE (stream_id, stream_version)";
    EXPECT_TRUE(s.count("schema_migrations")) << "no schema_migrations table";
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<store::MigrationTarget> target_;
  std::unique_ptr<RawDb> raw_;
};

// Migration 1 is the event store; later migrations (read models, ...) come after it.
TEST_P(Migrations, UpAppliesEveryBundledMigrationInOrder) {
  const auto numbers = all_numbers();
  ASSERT_FALSE(numbers.empty());
  EXPECT_EQ(numbers.front(), 1);
  EXPECT_TRUE(std::is_sorted(numbers.begin(), numbers.end()));
  EXPECT_EQ(migrator().up(), numbers);
}

TEST_P(Migrations, UpCreatesTheEventStoreSchema) {
  ASSERT_EQ(migrator().up(), all_numbers());
  expect_event_store_schema(schema());
}

TEST_P(Migrations, MigrationOneAloneCreatesTheEventStoreSchema) {
  store::Migrator only_first(*target_, {bundled().front()});
  ASSERT_EQ(only_first.up(), std::vector<int>{1});
  expect_event_store_schema(schema());
}

TEST_P(Migrations, UniqueStreamVersionAndDefaultsHoldForRawInserts) {
  ASSERT_EQ(migrator().up(), all_numbers());
  raw_->exec("INSERT INTO streams (stream_id, entity_type) VALUES ('project-1', 'project')");
  EXPECT_EQ(raw_->query("SELECT version FROM streams WHERE stream_id = 'project-1'"),
            (std::vector<Row>{{"0"}}));

  const std::string insert =
      "INSERT INTO events (global_position, stream_id, stream_version, event_type, payload, "
      "recorded_at) VALUES ";
  const std::string payload = sqlite() ? "X'00FF'" : "'\\x00ff'::bytea";
  raw_->exec(insert + "(1, 'project-1', 1, 'ProjectCreated', " + payload +
             ", '2026-01-01T00:00:00.000Z')");
  EXPECT_EQ(raw_->query("SELECT schema_version, user_id, request_id, command_id FROM events"),
            (std::vector<Row>{{"1", "", "", std::nullopt}}));
  // A second event at the same stream version is rejected by the database itself.
  EXPECT_ANY_THROW(raw_->exec(insert + "(2, 'project-1', 1, 'ProjectUpdated', " + payload +
                              ", '2026-01-01T00:00:00.001Z')"));
  // NOT NULL columns reject NULL.
  EXPECT_ANY_THROW(raw_->exec(insert + "(3, 'project-1', 2, 'ProjectUpdated', NULL, "
                                       "'2026-01-01T00:00:00.001Z')"));
  EXPECT_EQ(raw_->query("SELECT count(*) FROM events"), (std::vector<Row>{{"1"}}));
}

TEST_P(Migrations, UpTwiceIsANoOp) {
  ASSERT_EQ(migrator().up(), all_numbers());
  const std::string first = describe(schema());
  EXPECT_EQ(migrator().up(), std::vector<int>{});
  EXPECT_EQ(describe(schema()), first);
  // A new target on the same database (another process) agrees.
  auto other = store::open_migration_target(db_->url());
  EXPECT_EQ(store::Migrator(*other).up(), std::vector<int>{});
  EXPECT_EQ(describe(schema()), first);
}

TEST_P(Migrations, DownRevertsTheNewestMigrationFirst) {
  const auto numbers = all_numbers();
  ASSERT_EQ(migrator().up(), numbers);
  EXPECT_EQ(migrator().down(), std::vector<int>{numbers.back()});
  const auto status = migrator().status();
  ASSERT_EQ(status.size(), numbers.size());
  for (std::size_t i = 0; i < status.size(); ++i) {
    EXPECT_EQ(status[i].applied, i + 1 < status.size()) << "migration " << status[i].number;
  }
}

TEST_P(Migrations, DownRemovesEveryTableItCreated) {
  const auto numbers = all_numbers();
  ASSERT_EQ(migrator().up(), numbers);
  EXPECT_EQ(migrator().down(static_cast<int>(numbers.size())),
            std::vector<int>(numbers.rbegin(), numbers.rend()));
  const Schema after = schema();
  EXPECT_EQ(after.count("streams"), 0u) << describe(after);
  EXPECT_EQ(after.count("events"), 0u) << describe(after);
  // Nothing but the migrations record is left behind.
  for (const auto& [name, table] : after) {
    EXPECT_EQ(name, "schema_migrations") << "left behind by down:\n" << describe(after);
  }
  // Nothing more to revert.
  EXPECT_EQ(migrator().down(), std::vector<int>{});
}

TEST_P(Migrations, DownOfMigrationOneRemovesTheEventStoreTables) {
  store::Migrator only_first(*target_, {bundled().front()});
  ASSERT_EQ(only_first.up(), std::vector<int>{1});
  EXPECT_EQ(only_first.down(), std::vector<int>{1});
  const Schema after = schema();
  for (const auto& [name, table] : after) {
    EXPECT_EQ(name, "schema_migrations") << "left behind by down:\n" << describe(after);
  }
}

TEST_P(Migrations, UpDownUpGivesTheSameSchema) {
  const auto numbers = all_numbers();
  const int all = static_cast<int>(numbers.size());
  ASSERT_EQ(migrator().up(), numbers);
  const std::string first = describe(schema());
  ASSERT_EQ(migrator().down(all).size(), numbers.size());
  ASSERT_EQ(migrator().up(), numbers);
  EXPECT_EQ(describe(schema()), first);
  // And the store works on it.
  auto store = db_->open_store();
  const auto r = store->append("project-1", store::ExpectedVersion::no_stream(),
                               make_events(2, "p"), make_metadata());
  EXPECT_EQ(r.status, store::AppendResult::Status::appended);
  EXPECT_EQ(store->read_stream("project-1").size(), 2u);
}

TEST_P(Migrations, DownDiscardsTheEventsAndUpStartsEmpty) {
  const auto numbers = all_numbers();
  ASSERT_EQ(migrator().up(), numbers);
  {
    auto store = db_->open_store();
    ASSERT_TRUE(store
                    ->append("project-1", store::ExpectedVersion::no_stream(), make_events(1, "p"),
                             make_metadata())
                    .ok());
  }
  ASSERT_EQ(migrator().down(static_cast<int>(numbers.size())).size(), numbers.size());
  ASSERT_EQ(migrator().up(), numbers);
  auto store = db_->open_store();
  EXPECT_TRUE(store->read_all(0, 10).empty());
  EXPECT_EQ(store->stream_version("project-1"), 0);
}

// A database made before migration 10 held usernames and emails unique by exact match;
// the migration makes them unique regardless of letter case, and refuses (changing
// nothing) while two live users differ only in case.
TEST_P(Migrations, UsersBecomeUniqueRegardlessOfCaseAndAClashStopsTheMigration) {
  const auto numbers = all_numbers();
  ASSERT_EQ(numbers.at(9), 10) << "this test is about migration 10";
  const std::vector<int> from_10(numbers.begin() + 9, numbers.end());  // and those after it
  ASSERT_EQ(migrator().up(), numbers);
  ASSERT_EQ(migrator().down(static_cast<int>(from_10.size())),
            std::vector<int>(from_10.rbegin(), from_10.rend()));
  auto insert_user = [&](const std::string& id, const std::string& name, const std::string& email) {
    raw_->exec("INSERT INTO users (id, created_at, updated_at, username, email) VALUES (" +
               raw_->quote(id) + ", '2026-01-01', '2026-01-01', " + raw_->quote(name) + ", " +
               raw_->quote(email) + ")");
  };
  insert_user("u1", "Ada", "ada@example.com");
  insert_user("u2", "ada", "other@example.com");  // allowed before migration 10

  EXPECT_ANY_THROW(migrator().up());
  EXPECT_FALSE(migrator().status().back().applied);
  EXPECT_EQ(raw_->query("SELECT count(*) FROM users"), (std::vector<Row>{{"2"}}));
  raw_->exec("UPDATE users SET deleted = 1 WHERE id = 'u2'");  // a deleted user holds nothing

  EXPECT_EQ(migrator().up(), from_10);
  EXPECT_ANY_THROW(insert_user("u3", "ADA", "third@example.com"));
  EXPECT_ANY_THROW(insert_user("u4", "grace", "ADA@Example.COM"));
  insert_user("u5", "Grace", "grace@example.com");
  EXPECT_EQ(raw_->query("SELECT username FROM users WHERE id = 'u5'"),
            (std::vector<Row>{{"Grace"}}));  // stored as given
}

TEST_P(Migrations, StatusListsMigrationOneAsAppliedOrNot) {
  EXPECT_EQ(target_->dialect(), dialect());
  const auto& migrations = bundled();
  EXPECT_EQ(migrations.front().number, 1);
  EXPECT_EQ(migrations.front().name, "event_store");

  auto status = migrator().status();
  ASSERT_EQ(status.size(), migrations.size());
  for (std::size_t i = 0; i < status.size(); ++i) {
    EXPECT_EQ(status[i].number, migrations[i].number);
    EXPECT_EQ(status[i].name, migrations[i].name);
    EXPECT_FALSE(status[i].applied);
    EXPECT_EQ(status[i].applied_at, "");
  }

  ASSERT_EQ(migrator().up(), all_numbers());
  status = migrator().status();
  ASSERT_EQ(status.size(), migrations.size());
  EXPECT_EQ(status[0].number, 1);
  EXPECT_EQ(status[0].name, "event_store");
  static const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  for (const auto& s : status) {
    EXPECT_TRUE(s.applied) << "migration " << s.number;
    EXPECT_TRUE(std::regex_match(s.applied_at, rfc3339)) << s.applied_at;
  }

  ASSERT_EQ(migrator().down(static_cast<int>(migrations.size())).size(), migrations.size());
  status = migrator().status();
  ASSERT_EQ(status.size(), migrations.size());
  for (const auto& s : status) {
    EXPECT_FALSE(s.applied) << "migration " << s.number;
    EXPECT_EQ(s.applied_at, "");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Migrations, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
