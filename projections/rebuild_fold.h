// The view a rebuild job drives (projections/rebuild.h): folds batches of the event log into
// the shadow read-model tables of some entity types, with batched reads and writes.
//
// Per batch: the rows of the streams the batch continues are loaded with one query per
// entity type, every event is applied with apply_event (the inline projection's code), and
// the new rows are written: on PostgreSQL one multi-row upsert per entity type (the rows as
// one JSON parameter, json_populate_recordset), on SQLite one prepared upsert per row (the
// whole batch is one transaction).
#pragma once

#include <string>
#include <vector>

#include "events/entity_catalog.h"
#include "projections/catch_up.h"

namespace folio::projections {

class ShadowFold final : public CatchUpView {
 public:
  // `dialect`: store::EventStore::dialect(). Events of other entity types are skipped.
  ShadowFold(std::string dialect, std::vector<const events::EntitySpec*> specs);

  // Throws std::runtime_error when an event does not continue the shadow row of its stream
  // (a version gap: the shadow tables do not match the checkpoint).
  void apply(store::Transaction& tx, std::span<const events::RecordedEvent> events) override;

 private:
  bool postgres_;
  std::vector<const events::EntitySpec*> specs_;
};

}  // namespace folio::projections
