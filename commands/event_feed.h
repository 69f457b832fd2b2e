// The event feed (API.md "Later additions", docs/api.md "Event feed"): the global log in its
// order, for other systems to follow, with what a reader may not read left out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commands/access.h"
#include "events/envelope.h"
#include "projections/fold.h"
#include "store/event_store.h"

namespace folio::commands {

struct FeedQuery {
  std::int64_t after = 0;  // events with a greater global position
  std::size_t limit = 100;
  std::vector<std::string> entity_types;  // empty: every type
  // Only events recorded from `since` to `until`, both included (RFC 3339 as
  // events::format_timestamp writes it, so that they compare as text; empty: no bound),
  // and by `user_id` (empty: anyone's).
  std::string since;
  std::string until;
  std::string user_id;
};

struct FeedPage {
  std::vector<events::RecordedEvent> events;  // in global order
  // The position to read on from: the last one looked at, visible or not (so that a
  // reader with a narrow filter or scope moves on without seeing every event it skips).
  // Equals query.after when nothing was there.
  std::int64_t next_after = 0;
  // False when the page ended at the end of the log (as far as it could be read now).
  bool more = false;
  // read_feed with a token: the token is no longer valid (expired, revoked, its user
  // deactivated or deleted); the page is empty.
  bool reader_gone = false;
};

// The next events after `query.after` that `actor` may read: those of `query.entity_types`
// (all when empty) whose entity the actor may read now (as GET of it would allow, deleted
// entities included: their history stays readable); admins and the system see all. Looks at
// a bounded number of events per call (kFeedScanLimit), so a page may hold fewer than
// `limit` events and still have `more` behind it.
FeedPage read_feed(store::EventStore& store, const Actor& actor, const FeedQuery& query);

// read_feed for the holder of `token` as it is now (its actor and grants read in the same
// unit of work, before the events and again after them): a reader whose token stopped
// being valid gets reader_gone and no events, however long ago it started reading.
FeedPage read_feed(store::EventStore& store, const TokenCheck& token, const FeedQuery& query);

// One event with the fields it changed (from -> to), for audits.
struct Change {
  events::RecordedEvent event;
  projections::HistoryEntry entry;
};
struct ChangesPage {
  std::vector<Change> changes;
  std::int64_t next_after = 0;  // as FeedPage's
  bool more = false;
};

// read_feed's events with what each changed: the value before (from the entity's earlier
// events) and after, field by field.
ChangesPage read_changes(store::EventStore& store, const Actor& actor, const FeedQuery& query);

// At most this many events are looked at per read_feed call.
inline constexpr std::size_t kFeedScanLimit = 5000;

}  // namespace folio::commands
