#include "store/append_capture.h"

namespace folio::store {

AppendResult AppendCapture::append_with(const std::string& stream_id, ExpectedVersion expected,
                                        const NewEvent& event, const EventMetadata& metadata,
                                        const WriteAlong& along) {
  if (kept_) throw NeedsTheStore();  // a second write
  kept_.emplace(Kept{stream_id, expected, event, metadata, along.sql,
                     std::vector<SqlValue>(along.params.begin(), along.params.end()), along.shape});
  return appended_later(expected);
}

AppendResult AppendCapture::replay(Transaction& tx) const {
  if (!kept_) throw StoreUsageError("AppendCapture::replay without a captured write");
  return tx.append_with(kept_->stream_id, kept_->expected, kept_->event, kept_->metadata,
                        WriteAlong{kept_->sql, kept_->params, kept_->shape});
}

}  // namespace folio::store
