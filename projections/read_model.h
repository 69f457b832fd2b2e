// Read models: one table per entity type (see migrations/*/0002_read_models.up.sql, which
// is generated from the catalog by read_model_ddl() and checked by a test), written in the
// same transaction as the events.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "projections/entity_state.h"
#include "projections/fold.h"
#include "store/event_store.h"

namespace folio::projections {

// Which copy of the read model: the live tables the API reads and writes, or the shadow
// tables a rebuild fills (projections/rebuild.h) before swapping them in.
enum class ReadModelCopy { live, shadow };

// The table of `spec` in that copy: "projects", or "rebuild_projects".
std::string read_model_table(const EntitySpec& spec, ReadModelCopy copy);

// The generated SQL text of the read model of `spec` (statements with static storage, as
// store::Transaction requires).
struct ReadModelSql {
  std::vector<std::string> columns;  // id, version, created_at, updated_at, deleted, fields...
  std::string select_by_id;
  std::string insert;
  std::string update;           // guarded by the previous version
  std::string update_at_epoch;  // and by the access epoch (migration 0006), one more parameter
  // `insert`'s, `update`'s and `update_at_epoch`'s, unless changes_access (then empty).
  store::RowWriteShape insert_shape;
  store::RowWriteShape update_shape;
  store::RowWriteShape update_at_epoch_shape;
  std::string upsert;           // insert, or replace every column of the row with this id
  std::string list;             // keyset by id, optional equality filter per reference field
  std::vector<std::string> list_filters;  // the reference fields `list` can filter by
  // Ids of the rows (deleted ones included) created at or before $1 (a timestamp as events
  // have them), greater than $2, ordered, at most $3: the entities that may have existed
  // then.
  std::string created_by;
  // "some other live row has these values": one statement per unique field or composite.
  std::vector<std::pair<std::vector<std::string_view>, std::string>> find_other;
  // "some live row refers to $1 through this reference field".
  std::map<std::string, std::string, std::less<>> find_referrer;
};
const ReadModelSql& read_model_sql(const EntitySpec& spec,
                                   ReadModelCopy copy = ReadModelCopy::live);

// A read-model row (in the order of ReadModelSql::columns) and the state it holds.
store::SqlRow state_to_row(const EntitySpec& spec, const EntityState& state);
EntityState row_to_state(const EntitySpec& spec, const store::SqlRow& row);

// The row of entity `id` (deleted ones included), or nullopt if it never existed.
std::optional<EntityState> load_entity(store::Transaction& tx, const EntitySpec& spec,
                                       const std::string& id);

// Adds one to the access epoch (migration 0006). Triggers run it for every write to the
// read models of access (changes_access) and to auth_tokens; a rebuild's swap, which
// replaces those tables without writing rows, runs it itself.
inline constexpr const char* kBumpAccessEpoch = "UPDATE access_epoch SET epoch = epoch + 1";
// The triggers of migration 0006 for `table`, the read model of `spec` (none unless
// changes_access(spec)): a rebuild re-creates them on the tables it swaps in.
std::string access_epoch_triggers_ddl(const EntitySpec& spec, const std::string& table,
                                      bool postgres);

// The write of `state` as the row of its entity, for Transaction::append_with: an INSERT
// when previous_version is 0, else an UPDATE guarded by previous_version and, unless
// at_access_epoch is 0, by the access epoch still being at_access_epoch (for a command
// decided on remembered rows: see CommandHandler). Writes to users, roles and scopes move
// the access epoch by trigger.
struct RowWrite {
  const char* sql;
  std::vector<store::SqlValue> params;
  const store::RowWriteShape* shape = nullptr;  // WriteAlong::shape
  store::WriteAlong along() const { return {sql, params, shape}; }
};
RowWrite entity_row_write(const EntitySpec& spec, const EntityState& state,
                          std::int64_t previous_version, std::int64_t at_access_epoch = 0);
// True for the entities that decide who may do what (users, roles, scopes).
inline bool changes_access(const EntitySpec& spec) {
  return spec.scope == events::ScopeKind::admin_only;
}

struct ListQuery {
  std::string after_id;  // keyset cursor: ids greater than this
  std::size_t limit = 50;
  std::map<std::string, std::string> filters;  // reference field -> id
};
// Entities that are not deleted, ordered by id.
std::vector<EntityState> list_entities(store::Transaction& tx, const EntitySpec& spec,
                                       const ListQuery& query);

// The id of a non-deleted entity other than `except_id` whose `fields` have these values,
// if any (unique and composite-unique checks).
std::optional<std::string> find_other_with(store::Transaction& tx, const EntitySpec& spec,
                                           const std::vector<std::string_view>& fields,
                                           const FieldMap& values, const std::string& except_id);

// Reads ranges of stream `stream_id` in `tx` (for history_since). Both must outlive it.
StreamRangeReader stream_reader(store::Transaction& tx, const std::string& stream_id);

// The id of a non-deleted entity of `child` whose `field` refers to `parent_id`, if any.
std::optional<std::string> find_referrer(store::Transaction& tx, const EntitySpec& child,
                                         std::string_view field, const std::string& parent_id);

// The DDL of every read-model table and its indexes, plus user_credentials.
std::string read_model_ddl_up();
// CREATE TABLE of `spec`'s read model under the name `table` (without its indexes).
std::string read_model_table_ddl(const EntitySpec& spec, const std::string& table);
// The indexes of `spec`'s table in `copy`, named after that table (CREATE statements).
struct ReadModelIndex {
  std::string name;
  std::string create;
};
std::vector<ReadModelIndex> read_model_indexes(const EntitySpec& spec, ReadModelCopy copy);
std::string read_model_ddl_down();

// Conversions between entity values and SQL values, by field kind.
store::SqlValue to_sql(const FieldValue& value);
FieldValue from_sql(const events::FieldSpec* field, const store::SqlValue& value);

}  // namespace folio::projections
