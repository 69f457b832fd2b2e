// What a backend's planner does with a statement, for tests that guard the hot paths
// against full scans: read-model tables filled with rows whose unique and reference values
// are distinct, then the plan of a statement as text.
#pragma once

#include <cstdio>
#include <list>
#include <string>
#include <vector>

#include "events/entity_catalog.h"
#include "projections/entity_state.h"
#include "projections/read_model.h"
#include "store/event_store.h"
#include "tests/support/test_database.h"

namespace folio::testing {

// Row `n` of a read-model table of `spec`: every stored field set, unique and reference
// values distinct from the other rows'.
inline projections::EntityState planning_row(const events::EntitySpec& spec, int n) {
  const auto id = [](int k) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "0000beef-0000-4000-8000-%012x", k);
    return std::string(buffer);
  };
  projections::EntityState row{id(n), 1, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z",
                               false, {}};
  for (const auto& f : spec.fields) {
    const std::string name(f.name);
    const std::string unique = std::to_string(n);
    switch (f.kind) {
      case events::FieldKind::password:
        break;
      case events::FieldKind::reference:
        row.fields[name] = id(100000 + n);
        break;
      case events::FieldKind::email:
        row.fields[name] = "user" + unique + "@example.org";
        break;
      case events::FieldKind::date:
        row.fields[name] = std::string("2020-01-01");
        break;
      case events::FieldKind::money:
        row.fields[name] = std::string("1.00");
        break;
      case events::FieldKind::percentage:
        row.fields[name] = std::int64_t{50};
        break;
      case events::FieldKind::boolean:
        row.fields[name] = true;
        break;
      case events::FieldKind::choice:
        row.fields[name] = std::string(f.choices.front());
        break;
      case events::FieldKind::text:
        row.fields[name] = "value " + unique;
        break;
    }
  }
  projections::update_derived_fields(spec, row.fields);
  return row;
}

// `rows` rows in every read-model table, then statistics. Planners cost empty tables oddly
// (PostgreSQL then walks any index at all), so plans are only worth checking on filled ones.
inline void fill_read_models_for_planning(store::EventStore& store, int rows = 300) {
  store.transact(store::Access::read_write, [&](store::Transaction& tx) {
    for (const auto& spec : events::all_entities()) {
      for (int n = 1; n <= rows; ++n) {
        const auto write = projections::entity_row_write(spec, planning_row(spec, n), 0);
        tx.execute(write.sql, write.params);
      }
    }
    // Table by table: a bare ANALYZE would lock every table of the database, the other
    // tests' schemas included, until this unit ends (their teardowns could deadlock on it).
    // The statements stay put: the stores cache prepared statements by their text's address.
    static const std::vector<std::string> analyze = [] {
      std::vector<std::string> all;
      for (const auto& spec : events::all_entities()) {
        all.push_back("ANALYZE " +
                      projections::read_model_table(spec, projections::ReadModelCopy::live));
      }
      return all;
    }();
    for (const auto& statement : analyze) tx.execute(statement.c_str(), {});
    return store::Verdict::commit;
  });
}

// The plan of `sql` on `backend`, one line per node, in a unit of work of its own that rolls
// back. PostgreSQL plans with sequential scans disabled (they stay possible, at a prohibitive
// cost), so that it takes an index whenever one can answer the statement.
inline std::string plan_of(store::EventStore& store, Backend backend, const std::string& sql,
                           const std::vector<store::SqlValue>& params) {
  static std::list<std::string> statements;  // Transaction wants statements that stay put
  const bool postgres = backend == Backend::postgres;
  const auto& explain =
      statements.emplace_back((postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql);
  std::string plan;
  store.transact(store::Access::read_write, [&](store::Transaction& tx) {
    plan.clear();
    if (postgres) tx.execute("SET LOCAL enable_seqscan = off", {});
    for (const auto& row : tx.query(explain.c_str(), params)) {
      plan +=
          std::get<std::string>(row.back()) + "\n";  // PostgreSQL: its one column; SQLite: detail
    }
    return store::Verdict::rollback;
  });
  return plan;
}

}  // namespace folio::testing
