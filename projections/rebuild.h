// The rebuild job: rebuilds read models from the event log without downtime.
//
//   1. Shadow tables (read_model_table(spec, ReadModelCopy::shadow), the same generated DDL
//      under another name) are created, and the job's checkpoint ("rebuild" in
//      projection_jobs, with the entity types as its config) set to 0, in one unit of work.
//   2. The catch-up runner folds the log into them in batches while the server keeps
//      serving and writing the live tables; each batch commits with the checkpoint.
//   3. The swap, one unit of work: on PostgreSQL the live tables are locked first (ACCESS
//      EXCLUSIVE, in catalog order; inline projections write a read-model row before the
//      append takes the log's shared lock, so this order cannot wait on an append that
//      waits on us), then the last events are applied, the live tables dropped and the
//      shadow tables (and their indexes) renamed. On SQLite it is one write transaction.
//      Readers see the old tables or the new ones, never a half-built model.
//
// Killed at any point, the next run with the same entity types continues from the
// checkpoint (shadow tables and checkpoint survive); a run with other types discards the
// interrupted one and starts over. user_credentials (password hashes) are not in the event
// stream and are never touched.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "projections/catch_up.h"
#include "store/event_store.h"

namespace folio::projections {

inline constexpr const char* kRebuildJob = "rebuild";

struct RebuildOptions {
  std::vector<std::string> entity_types;  // empty: all 13
  std::size_t batch_size = 5000;          // events per unit of work, at least 1
  // Before each batch: log positions done and to do by this run (the total grows while
  // writers append).
  std::function<void(std::int64_t done, std::int64_t total)> progress;
};

struct RebuildResult {
  std::vector<std::string> entity_types;  // what was rebuilt, in catalog order
  bool resumed = false;                   // continued an interrupted run of the same types
  std::int64_t resumed_from = 0;          // ... from this checkpoint
  std::string discarded;      // the types of an interrupted run that was discarded ("" = none)
  std::int64_t events = 0;    // events this run applied to the shadow tables
  std::int64_t entities = 0;  // rows of the rebuilt tables
  std::int64_t position = 0;  // the log position the new read models reflect
};

// Throws std::invalid_argument for an unknown entity type (before touching anything), and
// what the store throws (the job can then be resumed).
RebuildResult rebuild_read_models(store::EventStore& store, const RebuildOptions& options);

}  // namespace folio::projections
