#include "store/postgres/pg_write_capture.h"

#include "events/envelope.h"
#include "events/timestamp.h"
#include "store/postgres/pg_transaction.h"

namespace folio::store::postgres {

AppendResult PgWriteCapture::append_with(const std::string& stream_id, ExpectedVersion expected,
                                         const NewEvent& event, const EventMetadata& metadata,
                                         const WriteAlong& along) {
  if (write_ || expected.kind() == ExpectedVersion::Kind::any) throw NeedsTheStore();
  const std::string entity_type = events::entity_type_of_stream(stream_id);
  if (entity_type.empty()) throw NeedsTheStore();  // the usual way refuses it with the reason
  const std::int64_t from =
      expected.kind() == ExpectedVersion::Kind::exact ? expected.version() : 0;
  if (expected.kind() == ExpectedVersion::Kind::exact && from < 1) throw NeedsTheStore();
  const std::string recorded_at =
      metadata.recorded_at.empty() ? events::now_timestamp() : metadata.recorded_at;
  write_ = one_statement_write(stream_id, entity_type, from, event, recorded_at, metadata, &along);
  return appended_later(expected);
}

}  // namespace folio::store::postgres
