#include "projections/rebuild_fold.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "projections/fold.h"
#include "projections/read_model.h"

namespace folio::projections {

namespace {

namespace json = boost::json;
using events::EntitySpec;

// The batch statements of one shadow table; each takes one JSON array parameter.
struct BatchSql {
  std::string select_sqlite;  // rows whose id is in the array
  std::string select_postgres;
  std::string upsert_postgres;  // the array's objects (column -> value) as rows
};

BatchSql build_batch_sql(const EntitySpec& spec) {
  const auto& sql = read_model_sql(spec, ReadModelCopy::shadow);
  const std::string table = read_model_table(spec, ReadModelCopy::shadow);
  std::string columns, assignments;
  for (std::size_t i = 0; i < sql.columns.size(); ++i) {
    columns += (i ? ", " : "") + sql.columns[i];
    if (i > 0) {
      assignments += (i > 1 ? ", " : "") + sql.columns[i] + " = excluded." + sql.columns[i];
    }
  }
  const std::string select = "SELECT " + columns + " FROM " + table + " WHERE id IN ";
  return {select + "(SELECT value FROM json_each($1))",
          select + "(SELECT json_array_elements_text(CAST($1 AS JSON)))",
          "INSERT INTO " + table + " (" + columns + ") SELECT " + columns +
              " FROM json_populate_recordset(NULL::" + table + ", CAST($1 AS JSON))" +
              " ON CONFLICT (id) DO UPDATE SET " + assignments};
}

const BatchSql& batch_sql(const EntitySpec& spec) {
  static const std::vector<BatchSql> all = [] {
    std::vector<BatchSql> v;
    for (const auto& s : events::all_entities()) v.push_back(build_batch_sql(s));
    return v;
  }();
  return all.at(static_cast<std::size_t>(&spec - events::all_entities().data()));
}

json::value to_json(const store::SqlValue& value) {
  if (const auto* n = std::get_if<std::int64_t>(&value)) return *n;
  if (const auto* s = std::get_if<std::string>(&value)) return json::string(*s);
  return nullptr;
}

// The states of one entity type touched by a batch, in order of first touch.
struct Touched {
  std::vector<std::string> order;
  std::unordered_map<std::string, EntityState> states;
  std::vector<std::string> to_load;  // continued streams: their rows come from the shadow
};

}  // namespace

ShadowFold::ShadowFold(std::string dialect, std::vector<const EntitySpec*> specs)
    : postgres_(dialect == "postgresql"), specs_(std::move(specs)) {}

void ShadowFold::apply(store::Transaction& tx, std::span<const events::RecordedEvent> events) {
  std::map<const EntitySpec*, Touched> touched;
  struct Step {
    const EntitySpec* spec;
    std::string id;
  };
  std::vector<std::pair<const events::RecordedEvent*, Step>> steps;
  for (const auto& event : events) {
    const std::string type = events::entity_type_of_stream(event.stream_id);
    const auto it = std::find_if(specs_.begin(), specs_.end(),
                                 [&](const EntitySpec* s) { return s->type == type; });
    if (it == specs_.end()) continue;
    Touched& t = touched[*it];
    std::string id = event.stream_id.substr(type.size() + 1);
    if (!t.states.contains(id)) {
      t.order.push_back(id);
      t.states[id].id = id;
      if (event.stream_version > 1) t.to_load.push_back(id);
    }
    steps.push_back({&event, {*it, std::move(id)}});
  }
  for (auto& [spec, t] : touched) {
    if (t.to_load.empty()) continue;
    json::array ids;
    for (const auto& id : t.to_load) ids.emplace_back(id);
    const store::SqlValue param{json::serialize(ids)};
    const auto& sql = batch_sql(*spec);
    const char* select = postgres_ ? sql.select_postgres.c_str() : sql.select_sqlite.c_str();
    for (const auto& row : tx.query(select, std::span(&param, 1))) {
      EntityState state = row_to_state(*spec, row);
      t.states[state.id] = std::move(state);
    }
  }
  for (auto& [event, step] : steps) {
    EntityState& state = touched[step.spec].states[step.id];
    if (state.version != event->stream_version - 1) {
      throw std::runtime_error("rebuild: event " + std::to_string(event->stream_version) + " of " +
                               event->stream_id + " follows version " +
                               std::to_string(state.version) + " in the shadow table");
    }
    apply_event(*step.spec, state, *event);
  }
  for (auto& [spec, t] : touched) {
    if (postgres_) {
      const auto& columns = read_model_sql(*spec).columns;
      json::array rows;
      for (const auto& id : t.order) {
        const auto row = state_to_row(*spec, t.states[id]);
        json::object object;
        for (std::size_t i = 0; i < columns.size(); ++i) object[columns[i]] = to_json(row[i]);
        rows.emplace_back(std::move(object));
      }
      const store::SqlValue param{json::serialize(rows)};
      tx.execute(batch_sql(*spec).upsert_postgres.c_str(), std::span(&param, 1));
    } else {
      const char* upsert = read_model_sql(*spec, ReadModelCopy::shadow).upsert.c_str();
      for (const auto& id : t.order) tx.execute(upsert, state_to_row(*spec, t.states[id]));
    }
  }
}

}  // namespace folio::projections
