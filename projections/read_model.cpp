#include "projections/read_model.h"

#include <algorithm>
#include <stdexcept>

#include "events/sealed_value.h"

namespace folio::projections {

namespace {

using events::FieldKind;
using events::FieldSpec;

constexpr int kFixedColumns = 5;  // id, version, created_at, updated_at, deleted

bool stored(const FieldSpec& f) { return f.kind != FieldKind::password; }

// The SQL type of a field's column (the same on SQLite and PostgreSQL).
const char* column_type(const FieldSpec& f) {
  if (f.kind == FieldKind::percentage) return "BIGINT";
  if (f.kind == FieldKind::boolean) return "INTEGER";
  return "TEXT";
}

std::string placeholders(std::size_t from, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += ", ";
    out += "$" + std::to_string(from + i);
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

// A unique key's column as indexes and lookups compare it: folded for case_insensitive
// fields (the index is on the same expression, so lookups use it).
std::string compared_column(const EntitySpec& spec, std::string_view name) {
  const FieldSpec* field = spec.field(name);
  return field && field->case_insensitive ? "lower(" + std::string(name) + ")" : std::string(name);
}

std::string compared_value(const EntitySpec& spec, std::string_view name, std::size_t param) {
  const FieldSpec* field = spec.field(name);
  const std::string p = "$" + std::to_string(param);
  return field && field->case_insensitive ? "lower(CAST(" + p + " AS TEXT))" : p;
}

ReadModelSql build_sql(const EntitySpec& spec, const std::string& table) {
  ReadModelSql sql;
  sql.columns = {"id", "version", "created_at", "updated_at", "deleted"};
  for (const auto& f : spec.fields) {
    if (stored(f)) sql.columns.emplace_back(f.name);
  }
  for (auto derived : events::derived_fields(spec.type)) sql.columns.emplace_back(derived);
  const std::string column_list = join(sql.columns, ", ");

  sql.select_by_id = "SELECT " + column_list + " FROM " + table + " WHERE id = $1";
  sql.insert = "INSERT INTO " + table + " (" + column_list + ") VALUES (" +
               placeholders(1, sql.columns.size()) + ")";
  std::vector<std::string> assignments;
  for (std::size_t i = 1; i < sql.columns.size(); ++i) {
    assignments.push_back(sql.columns[i] + " = $" + std::to_string(i + 1));
  }
  sql.update = "UPDATE " + table + " SET " + join(assignments, ", ") + " WHERE id = $1" +
               " AND version = $" + std::to_string(sql.columns.size() + 1);
  // The writes in a form the store may run for many rows at once; not for the tables of
  // access, whose statement-level triggers move the access epoch once per statement.
  if (!changes_access(spec)) {
    sql.insert_shape.table = table;
    for (const auto& column : sql.columns) {
      const FieldSpec* field = spec.field(column);
      const char* type = field ? column_type(*field) : "TEXT";
      if (column == "version") type = "BIGINT";
      if (column == "deleted") type = "INTEGER";
      sql.insert_shape.columns.emplace_back(column, type);
    }
    sql.update_shape = sql.insert_shape;
    sql.insert_shape.insert = true;
    sql.update_at_epoch_shape = sql.update_shape;
    sql.update_at_epoch_shape.epoch_guard = true;
  }
  sql.update_at_epoch = sql.update + " AND (SELECT epoch FROM access_epoch) = $" +
                        std::to_string(sql.columns.size() + 2);
  std::vector<std::string> from_excluded;
  for (std::size_t i = 1; i < sql.columns.size(); ++i) {
    from_excluded.push_back(sql.columns[i] + " = excluded." + sql.columns[i]);
  }
  sql.upsert = sql.insert + " ON CONFLICT (id) DO UPDATE SET " + join(from_excluded, ", ");

  std::string where = "deleted = 0 AND id > $1";
  std::size_t param = 2;
  for (const auto& f : spec.fields) {
    if (f.kind != FieldKind::reference) continue;
    const std::string p = "$" + std::to_string(param++);
    // The cast tells PostgreSQL the parameter's type, which "$n IS NULL" alone does not.
    where += " AND (CAST(" + p + " AS TEXT) IS NULL OR " + std::string(f.name) + " = " + p + ")";
    sql.list_filters.emplace_back(f.name);
  }
  sql.list = "SELECT " + column_list + " FROM " + table + " WHERE " + where +
             " ORDER BY id LIMIT $" + std::to_string(param);
  sql.created_by =
      "SELECT id FROM " + table + " WHERE created_at <= $1 AND id > $2 ORDER BY id LIMIT $3";

  auto add_find_other = [&](std::vector<std::string_view> fields) {
    std::string condition = "deleted = 0 AND id <> $1";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      condition += " AND " + compared_column(spec, fields[i]) + " = " +
                   compared_value(spec, fields[i], i + 2);
      // Erased values are unique to nobody: the unique index leaves them out (migration
      // 0011), and only a query that leaves them out too can use that index.
      const auto* field = spec.field(fields[i]);
      if (field && field->personal) {
        condition +=
            " AND " + std::string(fields[i]) + " <> '" + std::string(events::kErasedMarker) + "'";
      }
    }
    sql.find_other.emplace_back(
        fields, "SELECT id FROM " + table + " WHERE " + condition + " ORDER BY id LIMIT 1");
  };
  for (const auto& f : spec.fields) {
    if (f.unique) add_find_other({f.name});
  }
  for (const auto& composite : spec.unique_together) add_find_other(composite);

  for (const auto& f : spec.fields) {
    if (f.kind != FieldKind::reference) continue;
    sql.find_referrer.emplace(std::string(f.name),
                              "SELECT id FROM " + table + " WHERE deleted = 0 AND " +
                                  std::string(f.name) + " = $1 ORDER BY id LIMIT 1");
  }
  return sql;
}

const std::vector<ReadModelSql>& all_sql(ReadModelCopy copy) {
  auto build_all = [](ReadModelCopy copy) {
    std::vector<ReadModelSql> v;
    for (const auto& spec : events::all_entities()) {
      v.push_back(build_sql(spec, read_model_table(spec, copy)));
    }
    return v;
  };
  static const std::vector<ReadModelSql> live = build_all(ReadModelCopy::live);
  static const std::vector<ReadModelSql> shadow = build_all(ReadModelCopy::shadow);
  return copy == ReadModelCopy::live ? live : shadow;
}

// The index names and definitions of `spec`'s table called `table`.
std::vector<ReadModelIndex> indexes_of(const EntitySpec& spec, const std::string& table) {
  std::vector<ReadModelIndex> indexes;
  auto unique_index = [&](const std::vector<std::string_view>& fields) {
    std::vector<std::string> names(fields.begin(), fields.end());
    std::vector<std::string> compared;
    for (auto f : fields) compared.push_back(compared_column(spec, f));
    const std::string name = table + "_" + join(names, "_") + "_unique";
    indexes.push_back({name, "CREATE UNIQUE INDEX " + name + " ON " + table + " (" +
                                 join(compared, ", ") + ") WHERE deleted = 0;\n"});
  };
  for (const auto& f : spec.fields) {
    if (f.unique) unique_index({f.name});
    if (f.kind == FieldKind::reference) {
      const std::string name = table + "_" + std::string(f.name);
      indexes.push_back(
          {name, "CREATE INDEX " + name + " ON " + table + " (" + std::string(f.name) + ");\n"});
    }
  }
  for (const auto& composite : spec.unique_together) unique_index(composite);
  return indexes;
}

}  // namespace

std::string read_model_table(const EntitySpec& spec, ReadModelCopy copy) {
  return (copy == ReadModelCopy::shadow ? "rebuild_" : "") + std::string(spec.table);
}

EntityState row_to_state(const EntitySpec& spec, const store::SqlRow& row) {
  const auto& sql = read_model_sql(spec);
  EntityState state;
  state.id = std::get<std::string>(row[0]);
  state.version = std::get<std::int64_t>(row[1]);
  state.created_at = std::get<std::string>(row[2]);
  state.updated_at = std::get<std::string>(row[3]);
  state.deleted = std::get<std::int64_t>(row[4]) != 0;
  for (std::size_t i = kFixedColumns; i < sql.columns.size(); ++i) {
    const FieldSpec* field = spec.field(sql.columns[i]);
    FieldValue value = from_sql(field, row[i]);
    // Optional fields that were never set are absent from the state, as in the fold.
    if (!events::is_null(value) || (field && field->required)) {
      state.fields.emplace(sql.columns[i], std::move(value));
    }
  }
  return state;
}

store::SqlRow state_to_row(const EntitySpec& spec, const EntityState& state) {
  const auto& sql = read_model_sql(spec);
  store::SqlRow row;
  row.reserve(sql.columns.size() + 1);
  row.emplace_back(state.id);
  row.emplace_back(state.version);
  row.emplace_back(state.created_at);
  row.emplace_back(state.updated_at);
  row.emplace_back(std::int64_t{state.deleted ? 1 : 0});
  for (std::size_t i = kFixedColumns; i < sql.columns.size(); ++i) {
    const auto it = state.fields.find(sql.columns[i]);
    row.push_back(it == state.fields.end() ? store::SqlValue{} : to_sql(it->second));
  }
  return row;
}

store::SqlValue to_sql(const FieldValue& value) {
  if (const auto* b = std::get_if<bool>(&value)) return std::int64_t{*b ? 1 : 0};
  if (const auto* n = std::get_if<std::int64_t>(&value)) return *n;
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (std::holds_alternative<double>(value)) {
    throw std::invalid_argument("floating point values are never stored");
  }
  return {};
}

FieldValue from_sql(const FieldSpec* field, const store::SqlValue& value) {
  if (std::holds_alternative<std::monostate>(value)) return {};
  if (const auto* n = std::get_if<std::int64_t>(&value)) {
    if (field && field->kind == FieldKind::boolean) return *n != 0;
    return *n;
  }
  return std::get<std::string>(value);
}

const ReadModelSql& read_model_sql(const EntitySpec& spec, ReadModelCopy copy) {
  const auto entities = events::all_entities();
  const auto index = static_cast<std::size_t>(&spec - entities.data());
  if (index >= entities.size()) throw std::invalid_argument("spec is not from the catalog");
  return all_sql(copy)[index];
}

std::optional<EntityState> load_entity(store::Transaction& tx, const EntitySpec& spec,
                                       const std::string& id) {
  const auto& sql = read_model_sql(spec);
  const store::SqlValue param{id};
  const auto rows = tx.query(sql.select_by_id.c_str(), std::span(&param, 1));
  if (rows.empty()) return std::nullopt;
  return row_to_state(spec, rows.front());
}

std::string access_epoch_triggers_ddl(const EntitySpec& spec, const std::string& table,
                                      bool postgres) {
  if (!changes_access(spec)) return "";
  if (postgres) {
    return "CREATE TRIGGER " + table +
           "_access_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + table +
           " FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_access_epoch();\n";
  }
  std::string ddl;
  for (const char* change : {"insert", "update", "delete"}) {
    ddl += "CREATE TRIGGER " + table + "_" + change + "_access_epoch AFTER " + change + " ON " +
           table + " BEGIN UPDATE access_epoch SET epoch = epoch + 1; END;\n";
  }
  return ddl;
}

RowWrite entity_row_write(const EntitySpec& spec, const EntityState& state,
                          std::int64_t previous_version, std::int64_t at_access_epoch) {
  const auto& sql = read_model_sql(spec);
  if (previous_version == 0) {
    return {sql.insert.c_str(), state_to_row(spec, state),
            sql.insert_shape.columns.empty() ? nullptr : &sql.insert_shape};
  }
  RowWrite write{at_access_epoch ? sql.update_at_epoch.c_str() : sql.update.c_str(),
                 state_to_row(spec, state)};
  const auto& shape = at_access_epoch ? sql.update_at_epoch_shape : sql.update_shape;
  if (!shape.columns.empty()) write.shape = &shape;
  write.params.emplace_back(previous_version);
  if (at_access_epoch) write.params.emplace_back(at_access_epoch);
  return write;
}

std::vector<EntityState> list_entities(store::Transaction& tx, const EntitySpec& spec,
                                       const ListQuery& query) {
  const auto& sql = read_model_sql(spec);
  std::vector<store::SqlValue> params;
  params.emplace_back(query.after_id);
  for (const auto& name : sql.list_filters) {
    const auto it = query.filters.find(name);
    params.push_back(it == query.filters.end() ? store::SqlValue{} : store::SqlValue{it->second});
  }
  params.emplace_back(static_cast<std::int64_t>(query.limit));
  std::vector<EntityState> result;
  for (const auto& row : tx.query(sql.list.c_str(), params)) {
    result.push_back(row_to_state(spec, row));
  }
  return result;
}

std::optional<std::string> find_other_with(store::Transaction& tx, const EntitySpec& spec,
                                           const std::vector<std::string_view>& fields,
                                           const FieldMap& values, const std::string& except_id) {
  const auto& sql = read_model_sql(spec);
  const auto it = std::find_if(sql.find_other.begin(), sql.find_other.end(),
                               [&](const auto& entry) { return entry.first == fields; });
  if (it == sql.find_other.end()) throw std::invalid_argument("no unique key with these fields");
  std::vector<store::SqlValue> params{except_id};
  for (auto name : fields) {
    const auto value = values.find(name);
    if (value == values.end() || events::is_null(value->second)) return std::nullopt;
    params.push_back(to_sql(value->second));
  }
  const auto rows = tx.query(it->second.c_str(), params);
  if (rows.empty()) return std::nullopt;
  return std::get<std::string>(rows.front()[0]);
}

StreamRangeReader stream_reader(store::Transaction& tx, const std::string& stream_id) {
  return [&tx, &stream_id](std::int64_t from, std::int64_t to) {
    return tx.read_stream(stream_id, from, to);
  };
}

std::optional<std::string> find_referrer(store::Transaction& tx, const EntitySpec& child,
                                         std::string_view field, const std::string& parent_id) {
  const auto& sql = read_model_sql(child);
  const auto it = sql.find_referrer.find(field);
  if (it == sql.find_referrer.end()) throw std::invalid_argument("not a reference field");
  const store::SqlValue param{parent_id};
  const auto rows = tx.query(it->second.c_str(), std::span(&param, 1));
  if (rows.empty()) return std::nullopt;
  return std::get<std::string>(rows.front()[0]);
}

std::string read_model_table_ddl(const EntitySpec& spec, const std::string& table) {
  std::vector<std::string> columns = {
      "id         TEXT    NOT NULL PRIMARY KEY",
      "version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1)", "created_at TEXT    NOT NULL",
      "updated_at TEXT    NOT NULL",
      "deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))"};
  for (const auto& f : spec.fields) {
    if (!stored(f)) continue;
    std::string column = std::string(f.name) + " " + column_type(f);
    if (f.required || !f.default_value.empty()) column += " NOT NULL";
    if (!f.default_value.empty()) {
      column += f.kind == FieldKind::boolean
                    ? std::string(" DEFAULT ") + (f.default_value == "true" ? "1" : "0")
                    : " DEFAULT '" + std::string(f.default_value) + "'";
    }
    columns.push_back(column);
  }
  for (auto derived : events::derived_fields(spec.type)) {
    columns.push_back(std::string(derived) + " TEXT NOT NULL");
  }
  return "CREATE TABLE " + table + " (\n  " + join(columns, ",\n  ") + "\n);\n";
}

std::vector<ReadModelIndex> read_model_indexes(const EntitySpec& spec, ReadModelCopy copy) {
  return indexes_of(spec, read_model_table(spec, copy));
}

std::string read_model_ddl_up() {
  std::string ddl =
      "-- Generated from events/entity_catalog.cpp by `folio schema read-models`; a test\n"
      "-- checks that this file and the catalog agree. Identical for SQLite and PostgreSQL.\n";
  for (const auto& spec : events::all_entities()) {
    ddl += "\n" + read_model_table_ddl(spec, std::string(spec.table));
    for (const auto& index : read_model_indexes(spec, ReadModelCopy::live)) ddl += index.create;
  }
  ddl +=
      "\n-- Password hashes (Argon2id) live outside the event stream.\n"
      "CREATE TABLE user_credentials (\n"
      "  user_id       TEXT NOT NULL PRIMARY KEY,\n"
      "  password_hash TEXT NOT NULL,\n"
      "  updated_at    TEXT NOT NULL\n"
      ");\n";
  return ddl;
}

std::string read_model_ddl_down() {
  std::string ddl = "DROP TABLE IF EXISTS user_credentials;\n";
  const auto entities = events::all_entities();
  for (auto it = entities.rbegin(); it != entities.rend(); ++it) {
    ddl += "DROP TABLE IF EXISTS " + std::string(it->table) + ";\n";
  }
  return ddl;
}

}  // namespace folio::projections
