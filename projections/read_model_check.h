// `folio verify --projections`: folds every stream with the same code as the inline
// projection (projections/fold.h) and compares the result with the read-model row
// (load_entity), field by field. Reads in batches, so memory stays constant however large
// the store; each drift is handed to a callback as soon as it is found.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/event_store.h"

namespace folio::projections {

struct FieldDrift {
  std::string field;     // a field name, or version / created_at / updated_at / deleted
  std::string expected;  // from the fold of the stream, as JSON-like text ("absent" if none)
  std::string actual;    // from the read-model row
};

struct EntityDrift {
  enum class Kind {
    fields_differ,       // the row exists and some fields differ from the fold
    missing_row,         // the stream exists but the read model has no row
    row_without_stream,  // the read model has a row no stream explains
    unfoldable,          // the stream cannot be folded (undecodable payload, alien event)
  };
  Kind kind = Kind::fields_differ;
  std::string entity_type;
  std::string id;
  std::vector<FieldDrift> fields;  // fields_differ only
  std::string detail;              // unfoldable: why
};
const char* kind_name(EntityDrift::Kind kind);

struct ReadModelCheckOptions {
  std::size_t batch = 500;
  std::function<void(const EntityDrift&)> on_drift;
  // Called with the number of streams (and orphan rows) checked since the last call.
  std::function<void(std::int64_t)> on_progress;
};

struct ReadModelCheckReport {
  std::int64_t streams_checked = 0;
  std::int64_t drifted = 0;  // entities reported through on_drift
  bool clean() const { return drifted == 0; }
};

// Number of streams of the 13 entity types (a progress total).
std::int64_t count_entity_streams(store::EventStore& store);

// Throws store::StoreError for database failures.
ReadModelCheckReport check_read_models(store::EventStore& store,
                                       const ReadModelCheckOptions& options = {});

}  // namespace folio::projections
