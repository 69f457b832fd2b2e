#include "projections/read_model_check.h"

#include <exception>
#include <optional>
#include <set>

#include "projections/fold.h"
#include "projections/read_model.h"

namespace folio::projections {

namespace {

constexpr const char* kStreamsOfType =
    "SELECT stream_id FROM streams WHERE entity_type = $1 AND stream_id > $2"
    " ORDER BY stream_id LIMIT $3";
constexpr const char* kCountEntityStreams =
    "SELECT entity_type, COUNT(*) FROM streams GROUP BY entity_type";

// Per entity type: read-model ids with no stream, keyset-paged.
const std::string& rows_without_stream_sql(const EntitySpec& spec) {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> sql;
    for (const auto& s : events::all_entities()) {
      const std::string table(s.table);
      sql.push_back("SELECT id FROM " + table +
                    " t WHERE id > $1 AND NOT EXISTS (SELECT 1 FROM"
                    " streams s WHERE s.stream_id = '" +
                    std::string(s.type) +
                    "-' || t.id)"
                    " ORDER BY id LIMIT $2");
    }
    return sql;
  }();
  return all.at(static_cast<std::size_t>(&spec - events::all_entities().data()));
}

std::string display(const FieldValue& value) {
  if (events::is_null(value)) return "null";
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* n = std::get_if<std::int64_t>(&value)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&value)) return std::to_string(*d);
  return "\"" + std::get<std::string>(value) + "\"";
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::vector<FieldDrift> differences(const EntityState& expected, const EntityState& actual) {
  std::vector<FieldDrift> out;
  auto compare = [&](const char* name, const std::string& e, const std::string& a) {
    if (e != a) out.push_back({name, e, a});
  };
  compare("version", std::to_string(expected.version), std::to_string(actual.version));
  compare("created_at", quoted(expected.created_at), quoted(actual.created_at));
  compare("updated_at", quoted(expected.updated_at), quoted(actual.updated_at));
  compare("deleted", expected.deleted ? "true" : "false", actual.deleted ? "true" : "false");
  std::set<std::string> names;
  for (const auto& [name, value] : expected.fields) names.insert(name);
  for (const auto& [name, value] : actual.fields) names.insert(name);
  for (const auto& name : names) {
    const auto e = expected.fields.find(name);
    const auto a = actual.fields.find(name);
    const std::string e_text = e == expected.fields.end() ? "absent" : display(e->second);
    const std::string a_text = a == actual.fields.end() ? "absent" : display(a->second);
    if (e_text != a_text) out.push_back({name, e_text, a_text});
  }
  return out;
}

// Folds one stream and compares it with its row. Returns the drift, if any.
std::optional<EntityDrift> check_entity(store::EventStore& store, const EntitySpec& spec,
                                        const std::string& stream_id) {
  const std::string id = stream_id.substr(spec.type.size() + 1);
  std::optional<EntityDrift> drift;
  // No common snapshot for the two reads (a drift is looked at twice, see below), so no
  // BEGIN/COMMIT either.
  store.transact(store::Access::read_statement, [&](store::Transaction& tx) {
    const auto events = tx.read_stream(stream_id);
    const auto row = load_entity(tx, spec, id);
    EntityDrift d{EntityDrift::Kind::fields_differ, std::string(spec.type), id, {}, ""};
    EntityState expected;
    try {
      expected = fold(spec, id, events);
    } catch (const std::exception& e) {
      d.kind = EntityDrift::Kind::unfoldable;
      d.detail = e.what();
      drift = d;
      return store::Verdict::commit;
    }
    if (!row) {
      d.kind = EntityDrift::Kind::missing_row;
      drift = d;
    } else if (auto fields = differences(expected, *row); !fields.empty()) {
      d.fields = std::move(fields);
      drift = d;
    }
    return store::Verdict::commit;
  });
  return drift;
}

}  // namespace

const char* kind_name(EntityDrift::Kind kind) {
  switch (kind) {
    case EntityDrift::Kind::fields_differ:
      return "fields differ";
    case EntityDrift::Kind::missing_row:
      return "missing row";
    case EntityDrift::Kind::row_without_stream:
      return "row without stream";
    case EntityDrift::Kind::unfoldable:
      return "cannot fold";
  }
  return "?";
}

std::int64_t count_entity_streams(store::EventStore& store) {
  std::int64_t count = 0;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    for (const auto& row : tx.query(kCountEntityStreams, {})) {
      if (events::find_entity_by_type(std::get<std::string>(row[0]))) {
        count += std::get<std::int64_t>(row[1]);
      }
    }
    return store::Verdict::commit;
  });
  return count;
}

ReadModelCheckReport check_read_models(store::EventStore& store,
                                       const ReadModelCheckOptions& options) {
  ReadModelCheckReport report;
  const auto page = static_cast<std::int64_t>(options.batch);
  auto found = [&](const EntityDrift& drift) {
    ++report.drifted;
    if (options.on_drift) options.on_drift(drift);
  };
  for (const auto& spec : events::all_entities()) {
    std::string after;
    for (;;) {
      std::vector<store::SqlRow> streams;
      store.transact(store::Access::read_statement, [&](store::Transaction& tx) {
        const store::SqlValue params[] = {std::string(spec.type), after, page};
        streams = tx.query(kStreamsOfType, params);
        return store::Verdict::commit;
      });
      for (const auto& row : streams) {
        const auto& stream_id = std::get<std::string>(row[0]);
        // A server writing meanwhile can move the row between the two reads: a drift
        // counts only if a second look, after that write committed, shows it again.
        if (check_entity(store, spec, stream_id)) {
          if (auto drift = check_entity(store, spec, stream_id)) found(*drift);
        }
      }
      report.streams_checked += static_cast<std::int64_t>(streams.size());
      if (options.on_progress && !streams.empty()) {
        options.on_progress(static_cast<std::int64_t>(streams.size()));
      }
      if (static_cast<std::int64_t>(streams.size()) < page) break;
      after = std::get<std::string>(streams.back()[0]);
    }
    std::string after_id;
    for (;;) {
      std::vector<store::SqlRow> rows;
      store.transact(store::Access::read_statement, [&](store::Transaction& tx) {
        const store::SqlValue params[] = {after_id, page};
        rows = tx.query(rows_without_stream_sql(spec).c_str(), params);
        return store::Verdict::commit;
      });
      for (const auto& row : rows) {
        found({EntityDrift::Kind::row_without_stream,
               std::string(spec.type),
               std::get<std::string>(row[0]),
               {},
               ""});
      }
      if (static_cast<std::int64_t>(rows.size()) < page) break;
      after_id = std::get<std::string>(rows.back()[0]);
    }
  }
  return report;
}

}  // namespace folio::projections
