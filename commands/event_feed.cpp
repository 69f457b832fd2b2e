#include "commands/event_feed.h"

#include <algorithm>
#include <map>

#include "events/entity_catalog.h"
#include "projections/read_model.h"

namespace folio::commands {

namespace {

// Whether `actor` may read the entity of `event` now; `known` remembers the answers of one
// call by stream. Only projects and their children need a read: where an entity sits is
// in its row (and its project's), the other kinds' scopes follow from their type and id.
bool may_read(store::Transaction& tx, const Actor& actor, const events::EntitySpec& spec,
              const events::RecordedEvent& event, std::map<std::string, bool>& known) {
  const auto found = known.find(event.stream_id);
  if (found != known.end()) return found->second;
  const std::string id = event.stream_id.substr(spec.type.size() + 1);
  bool readable = false;
  if (spec.scope == events::ScopeKind::project || spec.scope == events::ScopeKind::project_child) {
    const auto row = projections::load_entity(tx, spec, id);
    readable = row && can_read(actor, scope_of(tx, spec, *row));
  } else {
    projections::EntityState state;
    state.id = id;
    readable = can_read(actor, scope_of(spec, state, ""));
  }
  known.emplace(event.stream_id, readable);
  return readable;
}

// read_feed's work in `tx` for `actor`.
FeedPage read_feed_in(store::Transaction& tx, const Actor& actor, const FeedQuery& query) {
  FeedPage page{{}, query.after, true};
  const bool sees_all = actor.system || actor.is_admin();
  const auto wanted = [&](const std::string& type, const events::RecordedEvent& event) {
    if (!query.since.empty() && event.recorded_at < query.since) return false;
    if (!query.until.empty() && event.recorded_at > query.until) return false;
    if (!query.user_id.empty() && event.metadata.user_id != query.user_id) return false;
    return query.entity_types.empty() ||
           std::find(query.entity_types.begin(), query.entity_types.end(), type) !=
               query.entity_types.end();
  };
  std::map<std::string, bool> known;
  std::size_t scanned = 0;
  while (page.events.size() < query.limit && scanned < kFeedScanLimit) {
    const std::size_t batch =
        std::min(kFeedScanLimit - scanned, std::max<std::size_t>(query.limit, 500));
    auto events = tx.read_all(page.next_after, batch);
    for (auto& event : events) {
      ++scanned;
      page.next_after = event.global_position;
      const std::string type = events::entity_type_of_stream(event.stream_id);
      const events::EntitySpec* spec = events::find_entity_by_type(type);
      if (spec == nullptr || !wanted(type, event)) continue;
      if (!sees_all && !may_read(tx, actor, *spec, event, known)) continue;
      page.events.push_back(std::move(event));
      if (page.events.size() == query.limit) return page;
    }
    if (events.size() < batch) {
      page.more = false;  // the end of the log, as far as it can be read now
      return page;
    }
  }
  return page;
}

}  // namespace

FeedPage read_feed(store::EventStore& store, const Actor& actor, const FeedQuery& query) {
  FeedPage page;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    page = read_feed_in(tx, actor, query);
    return store::Verdict::commit;
  });
  return page;
}

FeedPage read_feed(store::EventStore& store, const TokenCheck& token, const FeedQuery& query) {
  FeedPage page;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    page = FeedPage{{}, query.after, false, true};
    const auto actor = actor_for_token(tx, token);
    if (!actor) return store::Verdict::commit;
    FeedPage read = read_feed_in(tx, *actor, query);
    // Again after the events: what was read while the token stopped being valid goes
    // nowhere (on PostgreSQL each statement sees the commits before it).
    if (actor_for_token(tx, token)) page = std::move(read);
    return store::Verdict::commit;
  });
  return page;
}

ChangesPage read_changes(store::EventStore& store, const Actor& actor, const FeedQuery& query) {
  FeedPage page = read_feed(store, actor, query);
  // Each stream's history once, over the range of its versions on this page.
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> versions;  // first, last
  for (const auto& event : page.events) {
    auto [it, added] =
        versions.try_emplace(event.stream_id, event.stream_version, event.stream_version);
    it->second.first = std::min(it->second.first, event.stream_version);
    it->second.second = std::max(it->second.second, event.stream_version);
  }
  std::map<std::string, std::vector<projections::HistoryEntry>> histories;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    histories.clear();
    for (const auto& [stream, range] : versions) {
      const auto* spec = events::find_entity_by_type(events::entity_type_of_stream(stream));
      histories[stream] = projections::history_since(*spec, range.first, range.second,
                                                     projections::stream_reader(tx, stream));
    }
    return store::Verdict::commit;
  });
  ChangesPage result{{}, page.next_after, page.more};
  result.changes.reserve(page.events.size());
  for (auto& event : page.events) {
    const auto& history = histories.at(event.stream_id);
    const auto first = versions.at(event.stream_id).first;
    auto entry = history.at(static_cast<std::size_t>(event.stream_version - first));
    result.changes.push_back({std::move(event), std::move(entry)});
  }
  return result;
}

}  // namespace folio::commands
