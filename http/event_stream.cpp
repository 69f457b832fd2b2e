#include "http/event_stream.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "events/timestamp.h"
#include "http/event_json.h"
#include "store/store_error.h"

namespace folio::http {

namespace {

using Clock = std::chrono::steady_clock;

// How soon after a commit of this process the streams are looked at again.
constexpr std::chrono::milliseconds kMinGap{10};
// After a failed read of the log: the store is unreachable for everyone.
constexpr std::chrono::milliseconds kRetryAfterFailure{1000};

// `events` as Server-Sent Events: `id:` the position (what Last-Event-ID resumes from),
// `data:` the event as the feed's pages give it (one line: JSON text has no raw newlines).
std::string as_server_sent_events(const std::vector<events::RecordedEvent>& events) {
  std::string text;
  for (const auto& event : events) {
    text += "id: ";
    text += std::to_string(event.global_position);
    text += "\ndata: ";
    text += boost::json::serialize(event_to_json(event));
    text += "\n\n";
  }
  return text;
}

}  // namespace

struct EventStreamHub::Stream {
  std::shared_ptr<EventStreamConnection> connection;
  EventStreamRequest request;  // request.query.after: the last position looked at
  Clock::time_point last_sent;
  std::optional<Clock::time_point> full_since;  // when it last was at max_unsent_bytes
  bool closing = false;  // closed by the hub (the connection's loop closes it soon)

  void close() {
    closing = true;
    connection->close();
  }
};

EventStreamHub::EventStreamHub(store::EventStore& store, EventStreamOptions options)
    : store_(store), options_(options), wait_(store, kMinGap), thread_([this] { follow(); }) {}

EventStreamHub::~EventStreamHub() { stop(); }

bool EventStreamHub::has_room() const { return open_.load() < options_.max_streams; }

bool EventStreamHub::add(std::shared_ptr<EventStreamConnection> connection,
                         EventStreamRequest request) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && open_.load() < options_.max_streams) {
      open_.fetch_add(1);
      // The client learns at once that the stream is open, and how soon to reconnect.
      connection->send("retry: 2000\n: open\n\n");
      added_.push_back(std::make_shared<Stream>(
          Stream{std::move(connection), std::move(request), Clock::now(), std::nullopt}));
      return true;
    }
  }
  connection->close();
  return false;
}

void EventStreamHub::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wait_.stop();
}

void EventStreamHub::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

bool EventStreamHub::step(Stream& stream, std::int64_t head) {
  const auto now = Clock::now();
  EventStreamConnection& connection = *stream.connection;
  if (connection.unsent_bytes() >= options_.max_unsent_bytes) {
    if (!stream.full_since) stream.full_since = now;
    if (now - *stream.full_since >= options_.slow_consumer_after) {
      dropped_.fetch_add(1);
      spdlog::warn(boost::json::serialize(
          boost::json::object{{"event", "event_stream_dropped"},
                              {"user_id", stream.request.actor.user_id},
                              {"after", stream.request.query.after},
                              {"reason", "the client did not read its events fast enough"}}));
      stream.close();
    }
    return false;
  }
  stream.full_since.reset();
  const bool heartbeat_due = now - stream.last_sent >= options_.heartbeat;
  if (stream.request.query.after >= head && !heartbeat_due) return false;
  // Read as the token's holder now: a reader deactivated, logged out or expired meanwhile
  // gets nothing more (checked at least at every heartbeat).
  commands::FeedQuery query = stream.request.query;
  query.limit = options_.page;
  stream.request.token.now = events::now_timestamp();
  const commands::FeedPage page = commands::read_feed(store_, stream.request.token, query);
  if (page.reader_gone) {
    spdlog::info(
        boost::json::serialize(boost::json::object{{"event", "event_stream_closed"},
                                                   {"user_id", stream.request.actor.user_id},
                                                   {"reason", "its token is no longer valid"}}));
    stream.close();
    return false;
  }
  if (!page.events.empty()) {
    connection.send(as_server_sent_events(page.events));
    stream.last_sent = now;
  }
  stream.request.query.after = page.next_after;
  if (now - stream.last_sent >= options_.heartbeat) {
    connection.send(": heartbeat\n\n");
    stream.last_sent = now;
  }
  return page.more;
}

void EventStreamHub::follow() {
  std::vector<std::shared_ptr<Stream>> streams;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      for (auto& s : added_) streams.push_back(std::move(s));
      added_.clear();
    }
    std::erase_if(streams, [this](const std::shared_ptr<Stream>& s) {
      if (!s->closing && !s->connection->closed()) return false;
      open_.fetch_sub(1);
      return true;
    });
    bool behind = false;
    try {
      if (!streams.empty()) {
        std::int64_t head = 0;
        store_.transact(store::Access::read_statement, [&](store::Transaction& tx) {
          head = store::head_position(tx);
          return store::Verdict::commit;
        });
        for (auto& s : streams) {
          try {
            behind = step(*s, head) || behind;
          } catch (const store::StoreUnavailable&) {
            throw;  // everyone's problem: below
          } catch (const std::exception& e) {
            // This stream's own (an event that does not decode): it ends, and says why in
            // the log; the client sees the connection close.
            spdlog::error(
                boost::json::serialize(boost::json::object{{"event", "event_stream_failed"},
                                                           {"user_id", s->request.actor.user_id},
                                                           {"after", s->request.query.after},
                                                           {"error", e.what()}}));
            s->close();
          }
        }
      }
    } catch (const std::exception& e) {
      spdlog::error(boost::json::serialize(
          boost::json::object{{"event", "event_streams_failed"}, {"error", e.what()}}));
      if (!wait_.pause(kRetryAfterFailure)) break;
      continue;
    }
    // Streams still catching up go on at once (their clients' reading paces them).
    const bool go_on =
        behind ? wait_.pause(std::chrono::milliseconds(1)) : wait_.wait(options_.poll);
    if (!go_on) break;
  }
  std::lock_guard lock(mutex_);
  for (auto& s : added_) streams.push_back(std::move(s));
  added_.clear();
  for (auto& s : streams) s->connection->close();
  open_.store(0);
}

}  // namespace folio::http
