#include "store/postgres/pg_merged_writes.h"

#include <bit>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "store/postgres/pg_event_sql.h"

namespace folio::store::postgres {

namespace {

// A write's parameters before its row's (one_statement_write): $1 stream, $2 expected
// version (0 for a creation), $3 event type, $4 schema version, $5 payload, $6
// recorded_at, $7 user, $8 request, $9 command id, $10 canonical bytes. Named and typed as
// the VALUES list has them.
constexpr std::pair<const char*, const char*> kEventParameters[] = {
    {"stream_id", "text"},         {"expected", "bigint"}, {"event_type", "text"},
    {"schema_version", "integer"}, {"payload", "bytea"},   {"recorded_at", "text"},
    {"user_id", "text"},           {"request_id", "text"}, {"command_id", "text"},
    {"canonical", "bytea"}};
constexpr std::size_t kEventParameterCount = std::size(kEventParameters);

// The names and types of a row's parameters, in order: one_statement_write's.
std::vector<std::pair<std::string, std::string>> row_parameters(const RowWriteShape& shape) {
  std::vector<std::pair<std::string, std::string>> row;
  for (const auto& [name, type] : kEventParameters) row.emplace_back(name, type);
  if (shape.insert) row.emplace_back("entity_type", "text");  // $11 of a creation
  for (const auto& [name, type] : shape.columns) row.emplace_back("r_" + name, type);
  if (!shape.insert) row.emplace_back("guard", "bigint");  // the row's expected version
  if (shape.epoch_guard) row.emplace_back("epoch", "bigint");
  return row;
}

// row_parameters(shape).size(), without building them.
std::size_t parameter_count(const RowWriteShape& shape) {
  // entity_type or guard, and the epoch
  return kEventParameterCount + 1 + shape.columns.size() + (shape.epoch_guard ? 1 : 0);
}

// The row writes of the VALUES list `v` and the stream checks that go with them, as CTEs
// `along` (the rows it wrote: their `ord`, or a creation's key) and `checked` (the
// `stream_id` of each stream it bumped or created).
std::string row_and_stream_writes(const RowWriteShape& shape) {
  const std::string& key = shape.columns.front().first;
  std::string sql;
  if (shape.insert) {
    // As kCreateWithAlong: the row, then the stream for the rows written.
    sql += " along AS (INSERT INTO " + shape.table + " (";
    for (std::size_t c = 0; c < shape.columns.size(); ++c) {
      sql += (c ? ", " : "") + shape.columns[c].first;
    }
    sql += ") SELECT ";
    for (std::size_t c = 0; c < shape.columns.size(); ++c) {
      sql += (c ? ", v.r_" : "v.r_") + shape.columns[c].first;
    }
    sql += " FROM v WHERE v.stream_id IS NOT NULL RETURNING " + key +
           "),"
           " checked AS (INSERT INTO streams (stream_id, entity_type, version)"
           " SELECT v.stream_id, v.entity_type, 1 FROM v WHERE v.r_" +
           key + " IN (SELECT " + key +
           " FROM along)"
           " ON CONFLICT (stream_id) DO NOTHING RETURNING stream_id),";
    return sql;
  }
  sql += " along AS (UPDATE " + shape.table + " t SET ";
  for (std::size_t c = 1; c < shape.columns.size(); ++c) {
    const std::string& name = shape.columns[c].first;
    sql += (c > 1 ? ", " : "") + name + " = v.r_" + name;
  }
  sql += " FROM v WHERE t." + key + " = v.r_" + key + " AND t.version = v.guard" +
         (shape.epoch_guard ? " AND (SELECT epoch FROM access_epoch) = v.epoch" : "") +
         // As kNoSuchCommandYet.
         " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = v.stream_id"
         " AND e.command_id = v.command_id) RETURNING v.ord),"
         // As kBumpWithAlong, for the rows whose read-model row changed.
         " checked AS (UPDATE streams s SET version = v.expected + 1 FROM v"
         " WHERE s.stream_id = v.stream_id AND s.version = v.expected"
         " AND v.ord IN (SELECT ord FROM along) RETURNING s.stream_id),";
  return sql;
}

std::string merged_sql(const RowWriteShape& shape, std::size_t rows) {
  const auto row = row_parameters(shape);
  std::string sql = "WITH v (ord";
  for (const auto& parameter : row) sql += ", " + parameter.first;
  sql += ") AS (VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += (r ? ", (" : "(") + std::to_string(r + 1);
    for (std::size_t p = 0; p < row.size(); ++p) {
      sql += ", $" + std::to_string(r * row.size() + p + 1) + "::" + row[p].second;
    }
    sql += ")";
  }
  sql += ")," + row_and_stream_writes(shape) +
         FOLIO_LOG_LOCK("(SELECT FROM checked LIMIT 1) one") ", inserted AS (" FOLIO_EVENT_COLUMNS
         FOLIO_EVENT_VALUES("v.stream_id", "(v.expected + 1)",
                            "v.event_type, v.schema_version, v.payload, v.recorded_at, v.user_id,"
                            " v.request_id, v.command_id",
                            "v.canonical")
         " FROM v JOIN checked c ON c.stream_id = v.stream_id CROSS JOIN appending"
         " RETURNING stream_id, global_position)"
         // folio_both_or_neither (migration 0007), as kInsertAfterAlong, once: an event is
         // only written for a row that was, so equal counts mean the same rows.
         ", agreed AS (SELECT folio_both_or_neither((SELECT count(*) FROM along),"
         " (SELECT count(*) FROM inserted)))"
         " SELECT v.ord, i.global_position FROM v LEFT JOIN inserted i"
         " ON i.stream_id = v.stream_id CROSS JOIN agreed";
  return sql;
}

struct MergedStatement {
  std::string name;
  std::string sql;
};

// Built once per (shape, number of rows); the texts outlive every write that names them.
const MergedStatement& merged_statement(const RowWriteShape& shape, std::size_t rows) {
  static std::mutex mutex;
  static std::map<std::pair<const RowWriteShape*, std::size_t>, MergedStatement> built;
  std::lock_guard lock(mutex);
  auto [it, inserted] = built.try_emplace({&shape, rows});
  if (inserted) {
    it->second.sql = merged_sql(shape, rows);
    it->second.name = "m" + std::to_string(std::hash<std::string>{}(it->second.sql));
  }
  return it->second;
}

}  // namespace

BatchStatements BatchStatements::of(const std::vector<GroupWrite*>& batch) {
  BatchStatements out;
  // Runs of adjacent members of one shape and distinct streams (the batch is in stream
  // order, so a stream's writes are next to each other): each run becomes one statement,
  // so the statements still run in stream order and lock rows in one order.
  std::vector<GroupWrite*> run;
  const auto end_run = [&] {
    if (run.size() == 1) out.statements.push_back(run.front());
    if (run.size() > 1) {
      const RowWriteShape& shape = *run.front()->shape_;
      const std::size_t rows = std::bit_ceil(run.size());
      const std::size_t per_row = parameter_count(shape);
      const MergedStatement& statement = merged_statement(shape, rows);
      auto merged = std::make_unique<GroupWrite>(statement.name.c_str(), statement.sql.c_str(),
                                                 run.front()->sort_key_);
      for (GroupWrite* part : run) {
        part->merged_ = true;
        merged->values_.insert(merged->values_.end(), part->values_.begin(), part->values_.end());
        merged->lengths_.insert(merged->lengths_.end(), part->lengths_.begin(),
                                part->lengths_.end());
        merged->formats_.insert(merged->formats_.end(), part->formats_.begin(),
                                part->formats_.end());
      }
      // The rows up to a power of two are all NULL: they match no row and write nothing.
      for (std::size_t i = run.size() * per_row; i < rows * per_row; ++i) merged->add_null();
      merged->parts_ = std::move(run);
      out.statements.push_back(merged.get());
      out.merged.push_back(std::move(merged));
    }
    run.clear();
  };
  for (GroupWrite* member : batch) {
    member->merged_ = false;
    const bool mergeable =
        member->shape_ && member->values_.size() == parameter_count(*member->shape_);
    if (!mergeable) {
      end_run();
      out.statements.push_back(member);
      continue;
    }
    if (!run.empty() &&
        (run.back()->shape_ != member->shape_ || run.back()->sort_key_ == member->sort_key_)) {
      end_run();
    }
    run.push_back(member);
  }
  end_run();
  return out;
}

}  // namespace folio::store::postgres
