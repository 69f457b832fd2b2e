// The columns both SQL stores read events from, and the event a row of them holds: one
// list, whatever the statement's filter and however the row was read (a SQLite statement,
// a libpqxx result, a PostgreSQL pipe's answer).
#pragma once

#include <cstdint>
#include <vector>

#include "store/event_store.h"

// A string literal, for statements built at compile time: append " WHERE ...".
#define FOLIO_EVENT_SELECT                                                                  \
  "SELECT stream_id, stream_version, global_position, event_type, schema_version, payload," \
  " recorded_at, user_id, request_id, command_id, (SELECT subject_key FROM subject_keys k"  \
  " WHERE k.stream_id = events.stream_id) FROM events"

namespace folio::store {

// `Row` gives column c as text(c), int64(c) or blob(c) (bytes), and says is_null(c).
template <class Row>
RecordedEvent event_of(const Row& row) {
  RecordedEvent e;
  e.stream_id = row.text(0);
  e.stream_version = row.int64(1);
  e.global_position = row.int64(2);
  e.event_type = row.text(3);
  e.schema_version = static_cast<std::int32_t>(row.int64(4));
  e.payload = row.blob(5);
  e.recorded_at = row.text(6);
  e.metadata.user_id = row.text(7);
  e.metadata.request_id = row.text(8);
  e.metadata.command_id = row.is_null(9) ? "" : row.text(9);
  e.subject_key = row.is_null(10) ? "" : row.text(10);
  return e;
}

// The events of a whole result, each row read through `Row` (built from one row of `rows`).
template <class Row, class Rows>
std::vector<RecordedEvent> events_of_rows(const Rows& rows) {
  std::vector<RecordedEvent> events;
  events.reserve(rows.size());
  for (const auto& row : rows) events.push_back(event_of(Row{row}));
  return events;
}

}  // namespace folio::store
