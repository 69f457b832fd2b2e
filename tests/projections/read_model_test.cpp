// read_model.h on both backends: rows keep every field kind exactly, updates are guarded by
// the previous version, unique indexes refuse duplicates among live rows, lists page by id
// with foreign-key filters, and the generated DDL is the checked-in migration.
#include "projections/read_model.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "store/postgres/pg_group_commit.h"
#include "store/postgres/pg_transaction.h"
#include "tests/support/property.h"
#include "tests/support/query_plan.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using events::EntitySpec;
using events::FieldKind;
using events::FieldMap;
using events::FieldValue;
using projections::EntityState;

constexpr int kReadModelCases = 200;  // per backend, set explicitly

const EntitySpec& spec(std::string_view type) { return events::entity(type); }

std::string uuid(int n) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "0000beef-0000-4000-8000-%012x", n);
  return buffer;
}

class ReadModel : public StoreTest {
 protected:
  std::optional<EntityState> load(const EntitySpec& s, const std::string& id) {
    std::optional<EntityState> state;
    store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
      state = projections::load_entity(tx, s, id);
      return store::Verdict::commit;
    });
    return state;
  }
  bool save(const EntitySpec& s, const EntityState& state, std::int64_t previous) {
    bool saved = false;
    store_->transact(store::Access::read_write, [&](store::Transaction& tx) {
      const auto write = projections::entity_row_write(s, state, previous);
      saved = tx.execute(write.sql, write.params) == 1;
      return store::Verdict::commit;
    });
    return saved;
  }
  std::vector<EntityState> list(const EntitySpec& s, projections::ListQuery query) {
    std::vector<EntityState> rows;
    store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
      rows = projections::list_entities(tx, s, query);
      return store::Verdict::commit;
    });
    return rows;
  }
  template <class F>
  auto read(F f) {
    decltype(f(std::declval<store::Transaction&>())) result{};
    store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
      result = f(tx);
      return store::Verdict::commit;
    });
    return result;
  }

  EntityState project(int n, const std::string& program_id, bool deleted = false) {
    EntityState s{uuid(n), 1, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", deleted,
                  {{"program_id", program_id},
                   {"name", std::string("Project")},
                   {"business_sponsor", std::string("s")},
                   {"project_manager", std::string("m")},
                   {"technical_lead", std::string("t")},
                   {"start_date", std::string("2020-01-01")},
                   {"end_date", std::string("2020-12-31")},
                   {"cost_center_code", "CC" + std::to_string(n)}}};
    EXPECT_TRUE(save(spec("project"), s, 0));
    return s;
  }
};

TEST_P(ReadModel, RowsKeepEveryFieldKind) {
  const EntityState phase{uuid(1), 7, "2026-01-01T00:00:00.123Z", "2026-02-01T10:00:00.456Z", false,
                          {{"project_id", uuid(2)},
                           {"name", std::string("Phase é日🙂 \"quoted\" 'single' \\ back")},
                           {"start_date", std::string("2020-02-29")},
                           {"end_date", std::string("2020-03-01")},
                           {"capital_budget", std::string("1250.00")},
                           {"expense_budget", std::string("0.05")},
                           {"total_budget", std::string("1250.05")}}};  // description absent
  ASSERT_TRUE(save(spec("project_phase"), phase, 0));
  EXPECT_EQ(load(spec("project_phase"), phase.id), phase);

  const EntityState user{uuid(3), 1, "a", "b", false,
                         {{"username", std::string("u")}, {"email", std::string("u@x.io")},
                          {"is_active", false}}};
  ASSERT_TRUE(save(spec("user"), user, 0));
  EXPECT_EQ(load(spec("user"), user.id), user);

  const EntityState assignment{uuid(4), 2, "a", "b", true,
                               {{"resource_id", uuid(5)}, {"project_id", uuid(6)},
                                {"assignment_date", std::string("2020-01-01")},
                                {"capital_percentage", std::int64_t{0}},
                                {"expense_percentage", std::int64_t{100}}}};
  ASSERT_TRUE(save(spec("resource_assignment"), assignment, 0));
  EXPECT_EQ(load(spec("resource_assignment"), assignment.id), assignment);

  EXPECT_EQ(load(spec("project_phase"), uuid(99)), std::nullopt);
  EXPECT_EQ(load(spec("user"), phase.id), std::nullopt);  // another table
}

TEST_P(ReadModel, UpdatesAreGuardedByThePreviousVersion) {
  EntityState r{uuid(1), 1, "a", "a", false, {{"name", std::string("A")}, {"resource_type", std::string("labor")}}};
  ASSERT_TRUE(save(spec("resource"), r, 0));
  EntityState v2 = r;
  v2.version = 2;
  v2.updated_at = "b";
  v2.fields["name"] = std::string("B");
  v2.fields["description"] = std::string("d");
  EXPECT_TRUE(save(spec("resource"), v2, 1));
  EntityState other = r;
  other.version = 2;
  other.fields["name"] = std::string("C");
  EXPECT_FALSE(save(spec("resource"), other, 1));  // a writer that also saw version 1
  EXPECT_FALSE(save(spec("resource"), other, 3));
  EXPECT_EQ(load(spec("resource"), r.id), v2);
  // Clearing an optional field and marking the row deleted.
  EntityState v3 = v2;
  v3.version = 3;
  v3.deleted = true;
  v3.fields.erase("description");
  EXPECT_TRUE(save(spec("resource"), v3, 2));
  EXPECT_EQ(load(spec("resource"), r.id), v3);
  // An update of a row that does not exist changes nothing.
  EntityState ghost = v2;
  ghost.id = uuid(2);
  EXPECT_FALSE(save(spec("resource"), ghost, 1));
  EXPECT_EQ(load(spec("resource"), ghost.id), std::nullopt);
}

TEST_P(ReadModel, UniqueIndexesRefuseDuplicatesAmongLiveRows) {
  const auto portfolio = [](int n, const std::string& name, bool deleted) {
    return EntityState{uuid(n), 1, "a", "a", deleted,
                       {{"name", name}, {"description", std::string("d")}, {"owner", std::string("o")},
                        {"reporting_start_date", std::string("2020-01-01")},
                        {"reporting_end_date", std::string("2020-12-31")}}};
  };
  ASSERT_TRUE(save(spec("portfolio"), portfolio(1, "Taken", false), 0));
  EXPECT_THROW(save(spec("portfolio"), portfolio(2, "Taken", false), 0), store::UniqueViolation);
  EXPECT_THROW(save(spec("portfolio"), portfolio(1, "Other", false), 0), store::UniqueViolation)
      << "the same id twice";
  EXPECT_TRUE(save(spec("portfolio"), portfolio(3, "Taken", true), 0)) << "deleted rows do not count";
  EXPECT_TRUE(save(spec("portfolio"), portfolio(4, "Free", false), 0));
  EXPECT_THROW(save(spec("portfolio"), [&] {
                 auto p = portfolio(4, "Taken", false);
                 p.version = 2;
                 return p;
               }(), 1),
               store::UniqueViolation);

  // find_other_with names the live holder, never the entity itself or a deleted one.
  const auto other = [&](const std::string& name, const std::string& except) {
    return read([&](store::Transaction& tx) {
      return projections::find_other_with(tx, spec("portfolio"), {"name"}, {{"name", name}}, except);
    });
  };
  EXPECT_EQ(other("Taken", uuid(9)), uuid(1));
  EXPECT_EQ(other("Taken", uuid(1)), std::nullopt);
  EXPECT_EQ(other("Nobody", uuid(9)), std::nullopt);
  EXPECT_EQ(read([&](store::Transaction& tx) {
              return projections::find_other_with(tx, spec("portfolio"), {"name"}, {}, uuid(9));
            }),
            std::nullopt);
  EXPECT_THROW(read([&](store::Transaction& tx) {
                 return projections::find_other_with(tx, spec("portfolio"), {"owner"}, {}, "");
               }),
               std::invalid_argument);

  // Composite keys.
  const EntityState role{uuid(5), 1, "a", "a", false,
                         {{"user_id", uuid(6)}, {"role_type", std::string("viewer")}, {"is_active", true}}};
  ASSERT_TRUE(save(spec("user_role"), role, 0));
  EntityState same = role;
  same.id = uuid(7);
  EXPECT_THROW(save(spec("user_role"), same, 0), store::UniqueViolation);
  EXPECT_EQ(read([&](store::Transaction& tx) {
              return projections::find_other_with(tx, spec("user_role"), {"user_id", "role_type"},
                                                  same.fields, same.id);
            }),
            role.id);
}

TEST_P(ReadModel, ListsLiveRowsByIdWithKeysetPagesAndFilters) {
  const std::string program_a = uuid(900), program_b = uuid(901);
  for (int n : {5, 3, 8, 1, 7, 2}) project(n, n % 2 ? program_a : program_b);
  project(4, program_a, /*deleted=*/true);
  const auto ids = [](const std::vector<EntityState>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(list(spec("project"), {"", 50, {}})), (V{uuid(1), uuid(2), uuid(3), uuid(5), uuid(7), uuid(8)}));
  EXPECT_EQ(ids(list(spec("project"), {"", 2, {}})), (V{uuid(1), uuid(2)}));
  EXPECT_EQ(ids(list(spec("project"), {uuid(2), 2, {}})), (V{uuid(3), uuid(5)}));
  EXPECT_EQ(ids(list(spec("project"), {uuid(5), 2, {}})), (V{uuid(7), uuid(8)}));
  EXPECT_EQ(ids(list(spec("project"), {uuid(8), 2, {}})), V{});
  EXPECT_EQ(ids(list(spec("project"), {"", 50, {{"program_id", program_a}}})),
            (V{uuid(1), uuid(3), uuid(5), uuid(7)}));
  EXPECT_EQ(ids(list(spec("project"), {uuid(3), 1, {{"program_id", program_b}}})), (V{uuid(8)}));
  EXPECT_EQ(ids(list(spec("project"), {"", 50, {{"program_id", uuid(999)}}})), V{});
  const auto rows = list(spec("project"), {"", 1, {}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], *load(spec("project"), uuid(1)));
  EXPECT_EQ(projections::read_model_sql(spec("project")).list_filters, (V{"program_id"}));
  EXPECT_EQ(projections::read_model_sql(spec("actual")).list_filters,
            (V{"project_id", "worker_id", "resource_assignment_id"}));

  // find_referrer: a live child naming the parent.
  const auto referrer = [&](const std::string& parent) {
    return read([&](store::Transaction& tx) {
      return projections::find_referrer(tx, spec("project"), "program_id", parent);
    });
  };
  EXPECT_EQ(referrer(program_a), uuid(1));
  EXPECT_EQ(referrer(uuid(999)), std::nullopt);
  project(20, uuid(902), /*deleted=*/true);
  EXPECT_EQ(referrer(uuid(902)), std::nullopt);
  EXPECT_THROW(read([&](store::Transaction& tx) {
                 return projections::find_referrer(tx, spec("project"), "name", program_a);
               }),
               std::invalid_argument);
}

// A random row of `s` with every stored field of its kind; unique values carry `n`.
EntityState random_row(const EntitySpec& s, int n) {
  const auto pick = [](int lo, int hi) { return *rc::gen::resize(100, rc::gen::inRange(lo, hi + 1)); };
  const auto text = [&] {
    static const std::vector<std::string> pieces = {"a", "Z", " ", "é", "日", "🙂", "'", "\"", "\\", "%", "_", "$1"};
    std::string out;
    const int length = pick(1, 12);
    for (int i = 0; i < length; ++i) out += pieces[static_cast<std::size_t>(pick(0, 11))];
    return out;
  };
  EntityState state;
  state.id = uuid(n);
  state.version = pick(1, 1'000'000);
  state.created_at = "2026-0" + std::to_string(pick(1, 9)) + "-01T00:00:00.000Z";
  state.updated_at = "2026-0" + std::to_string(pick(1, 9)) + "-02T00:00:00.000Z";
  state.deleted = pick(0, 3) == 0;
  for (const auto& f : s.fields) {
    if (f.kind == FieldKind::password) continue;
    if (!f.required && f.default_value.empty() && pick(0, 2) == 0) continue;  // absent
    const std::string name(f.name);
    switch (f.kind) {
      case FieldKind::text:
      case FieldKind::email:
        state.fields[name] = text() + (f.unique ? "#" + std::to_string(n) : "");
        break;
      case FieldKind::reference:
        state.fields[name] = uuid(pick(0, 1'000'000));
        break;
      case FieldKind::date:
        state.fields[name] = std::to_string(pick(1000, 9999)) + "-0" + std::to_string(pick(1, 9)) + "-1" +
                             std::to_string(pick(0, 9));
        break;
      case FieldKind::money:
        state.fields[name] = std::to_string(pick(0, 2'000'000'000)) + "." + std::to_string(pick(10, 99));
        break;
      case FieldKind::percentage:
        state.fields[name] = *rc::gen::arbitrary<std::int64_t>();  // any 64-bit integer survives
        break;
      case FieldKind::choice:
        state.fields[name] = std::string(f.choices[static_cast<std::size_t>(pick(0, static_cast<int>(f.choices.size()) - 1))]);
        break;
      case FieldKind::boolean:
        state.fields[name] = pick(0, 1) == 1;
        break;
      default:
        break;
    }
  }
  // Composite keys stay unique through a random reference in them.
  for (const auto& composite : s.unique_together) {
    state.fields[std::string(composite.front())] = uuid(2'000'000 + n);
  }
  projections::update_derived_fields(s, state.fields);
  return state;
}

TEST_P(ReadModel, RandomRowsRoundTripThroughSaveLoadAndList) {
  int n = 0;
  const auto entities = events::all_entities();
  const auto property = [&] {
    const EntitySpec& s = entities[static_cast<std::size_t>(
        *rc::gen::resize(100, rc::gen::inRange(0, static_cast<int>(entities.size()))))];
    const int id = ++n;
    EntityState row = random_row(s, id);
    RC_ASSERT(save(s, row, 0));
    RC_ASSERT(load(s, row.id) == row);
    const auto listed = list(s, {uuid(id - 1), 1, {}});
    if (row.deleted) {
      RC_ASSERT((listed.empty() || listed[0].id != row.id));  // (parenthesized: RC_ASSERT would evaluate both sides)
    } else {
      RC_ASSERT(listed.size() == 1u);
      RC_ASSERT(listed[0] == row);
    }
    // Any next state of the same row replaces it entirely.
    EntityState next = random_row(s, id);
    next.version = row.version + 1;
    RC_ASSERT(save(s, next, row.version));
    RC_ASSERT(load(s, row.id) == next);
    RC_ASSERT(!save(s, next, row.version));
  };
  ASSERT_TRUE(check_cases("rows round-trip", kReadModelCases, 100, property));
}

// The tables of access (users, roles, scopes) move the access epoch by statement-level
// triggers, so their row writes must never be merged with others (store/postgres/
// pg_merged_writes.h); every other table's writes carry their shape.
TEST_P(ReadModel, RowWritesCarryTheirShapeExceptOnTheTablesOfAccess) {
  EntityState row;
  row.id = uuid(1);
  row.version = 4;
  for (const auto& s : events::all_entities()) {
    for (const auto& write :
         {projections::entity_row_write(s, row, 0), projections::entity_row_write(s, row, 3),
          projections::entity_row_write(s, row, 3, 7)}) {
      if (projections::changes_access(s)) {
        EXPECT_EQ(write.shape, nullptr) << s.type;
        continue;
      }
      ASSERT_NE(write.shape, nullptr) << s.type;
      EXPECT_EQ(write.shape->table, s.table);
      EXPECT_EQ(write.shape->columns.size() + (write.shape->insert ? 0 : 1) +
                    (write.shape->epoch_guard ? 1 : 0),
                write.params.size())
          << s.type;
    }
  }
}

// PostgreSQL's group commit merges the creations, then the updates, of one entity type in a
// batch into one statement each (store/postgres/pg_merged_writes.h): random rows of every
// kind of field come back exactly as they were written, through the generated shapes'
// casts, with their streams and events.
TEST_P(ReadModel, RandomRowsRoundTripThroughMergedGroupWrites) {
  if (GetParam() != Backend::postgres) GTEST_SKIP() << "group commit is PostgreSQL's";
  store::postgres::PgGroupCommit group(db_->url(), 1);
  std::vector<const EntitySpec*> merged_types;
  for (const auto& s : events::all_entities()) {
    if (!projections::changes_access(s)) merged_types.push_back(&s);
  }
  int n = 0;
  std::int64_t merged = 0;
  const auto property = [&] {
    const EntitySpec& s = *merged_types[static_cast<std::size_t>(
        *rc::gen::inRange(0, static_cast<int>(merged_types.size())))];
    const int count = *rc::gen::inRange(2, 5);
    std::vector<EntityState> rows, next;
    std::vector<std::unique_ptr<store::postgres::GroupWrite>> creations, updates;
    const auto write_of = [&](const EntityState& state, std::int64_t previous, std::int64_t epoch) {
      const auto row = projections::entity_row_write(s, state, previous, epoch);
      const auto along = row.along();
      return store::postgres::one_statement_write(
          std::string(s.type) + "-" + state.id, std::string(s.type), previous,
          make_event("Written", state.id), "2026-12-07T12:00:00.000000Z", make_metadata(), &along);
    };
    for (int i = 0; i < count; ++i) {
      rows.push_back(random_row(s, ++n));
      rows.back().version = 1;
      creations.push_back(write_of(rows.back(), 0, 0));
    }
    std::vector<store::postgres::GroupWrite*> batch;
    for (const auto& write : creations) batch.push_back(write.get());
    group.run_batch(batch);
    const std::int64_t epoch = access_epoch();
    for (int i = 0; i < count; ++i) {
      RC_ASSERT(creations[i]->position() > 0);
      RC_ASSERT(load(s, rows[i].id) == rows[i]);
      next.push_back(random_row(s, n - count + 1 + i));
      next.back().version = 2;
      updates.push_back(write_of(next.back(), 1, epoch));
    }
    batch.clear();
    for (const auto& write : updates) batch.push_back(write.get());
    group.run_batch(batch);
    for (int i = 0; i < count; ++i) {
      RC_ASSERT(updates[i]->position() > creations[i]->position());
      RC_ASSERT(load(s, rows[i].id) == next[i]);
      RC_ASSERT(store_->stream_version(std::string(s.type) + "-" + rows[i].id) == 2);
    }
    merged += 2 * count;
    RC_ASSERT(group.stats().merged_writes == merged);
    RC_ASSERT(group.stats().failed_batches == 0);
  };
  ASSERT_TRUE(check_cases("merged row writes", 100, 100, property));
}

// Parameters of the right types for a statement that compares `fields` (after the id in $1).
std::vector<store::SqlValue> sample_params(const EntitySpec& s,
                                           const std::vector<std::string_view>& fields) {
  std::vector<store::SqlValue> params{uuid(1)};
  for (auto name : fields) {
    const auto kind = s.field(name)->kind;
    if (kind == FieldKind::percentage || kind == FieldKind::boolean) {
      params.emplace_back(std::int64_t{1});
    } else {
      params.emplace_back(std::string("2020-01-01"));
    }
  }
  return params;
}

// The uniqueness checks run before every create and rename, the referrer checks before
// every delete: a full scan of a table there makes each of those commands as slow as the
// table is long. Each must be answered from an index on its first compared column (the
// unique indexes are partial: the statement has to repeat their conditions to use them).
TEST_P(ReadModel, UniqueAndReferrerChecksAreAnsweredFromAnIndex) {
  fill_read_models_for_planning(*store_);
  int checked = 0;
  for (const auto& s : events::all_entities()) {
    const auto& sql = projections::read_model_sql(s);
    const auto indexes = projections::read_model_indexes(s, projections::ReadModelCopy::live);
    const auto expect_index_on = [&](std::string_view column, const std::string& statement,
                                     const std::vector<store::SqlValue>& params) {
      std::vector<std::string> usable;
      for (const auto& index : indexes) {
        if (index.create.find("(" + std::string(column)) != std::string::npos) {
          usable.push_back(index.name);
        }
      }
      ASSERT_FALSE(usable.empty()) << s.type << ": no index starts with " << column;
      const std::string plan = plan_of(*store_, GetParam(), statement, params);
      const bool uses_one = std::any_of(usable.begin(), usable.end(), [&](const std::string& name) {
        return plan.find(name) != std::string::npos;
      });
      EXPECT_TRUE(uses_one) << s.type << ": " << statement << "\nplan:\n" << plan;
      ++checked;
    };
    for (const auto& [fields, statement] : sql.find_other) {
      expect_index_on(fields.front(), statement, sample_params(s, fields));
    }
    for (const auto& [field, statement] : sql.find_referrer) {
      expect_index_on(field, statement, {uuid(2)});
    }
  }
  EXPECT_GE(checked, 20);  // every entity's unique and reference fields, not a vacuous loop
}

INSTANTIATE_TEST_SUITE_P(Backends, ReadModel, ::testing::ValuesIn(all_backends()), BackendName());

// ---- without a database ------------------------------------------------------------------

std::string file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(ReadModelDdl, IsTheCheckedInMigrationOfBothDialects) {
  for (const std::string dialect : {"sqlite", "postgres"}) {
    const std::string dir = std::string(FOLIO_MIGRATIONS_DIR) + "/" + dialect + "/";
    EXPECT_EQ(file(dir + "0002_read_models.up.sql"), projections::read_model_ddl_up()) << dialect;
    EXPECT_EQ(file(dir + "0002_read_models.down.sql"), projections::read_model_ddl_down()) << dialect;
  }
}

TEST(ReadModelSql, OneTablePerEntityWithItsFields) {
  for (const auto& s : events::all_entities()) {
    const auto& sql = projections::read_model_sql(s);
    ASSERT_GE(sql.columns.size(), 5u);
    EXPECT_EQ(sql.columns[0], "id");
    EXPECT_EQ(sql.columns[1], "version");
    for (const auto& f : s.fields) {
      const bool listed = std::find(sql.columns.begin(), sql.columns.end(), f.name) != sql.columns.end();
      EXPECT_EQ(listed, f.kind != FieldKind::password) << s.type << "." << f.name;
    }
    EXPECT_NE(sql.select_by_id.find(std::string(s.table)), std::string::npos);
  }
  EXPECT_NE(std::find(projections::read_model_sql(spec("project_phase")).columns.begin(),
                      projections::read_model_sql(spec("project_phase")).columns.end(), "total_budget"),
            projections::read_model_sql(spec("project_phase")).columns.end());
}

TEST(ReadModelSql, ValuesConvertByKind) {
  EXPECT_EQ(projections::to_sql(FieldValue{true}), store::SqlValue{std::int64_t{1}});
  EXPECT_EQ(projections::to_sql(FieldValue{false}), store::SqlValue{std::int64_t{0}});
  EXPECT_EQ(projections::to_sql(FieldValue{std::int64_t{42}}), store::SqlValue{std::int64_t{42}});
  EXPECT_EQ(projections::to_sql(FieldValue{std::string("x")}), store::SqlValue{std::string("x")});
  EXPECT_EQ(projections::to_sql(FieldValue{}), store::SqlValue{});
  EXPECT_THROW(projections::to_sql(FieldValue{1.5}), std::invalid_argument);
  const auto* active = spec("user").field("is_active");
  EXPECT_EQ(projections::from_sql(active, std::int64_t{1}), FieldValue{true});
  EXPECT_EQ(projections::from_sql(active, std::int64_t{0}), FieldValue{false});
  const auto* percentage = spec("resource_assignment").field("capital_percentage");
  EXPECT_EQ(projections::from_sql(percentage, std::int64_t{7}), FieldValue{std::int64_t{7}});
  EXPECT_EQ(projections::from_sql(nullptr, store::SqlValue{}), FieldValue{});
}

}  // namespace
}  // namespace folio::testing
