// Live event streams (Server-Sent Events, docs/api.md "Event feed"): one thread of the
// server follows the log for every open stream and hands each its events, as the feed's
// pages would (commands/event_feed.h), as `id: <position>` / `data: <event JSON>` blocks.
//
// Back-pressure: a stream gets more only while less than max_unsent_bytes of it wait to be
// written; one that stays that full for slow_consumer_after is dropped (the client
// reconnects with Last-Event-ID when it can keep up). So memory per stream stays bounded
// and a slow consumer never holds up the others.
//
// Thread-safety: add() and stop() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/event_feed_routes.h"
#include "store/event_store.h"
#include "store/follower_wait.h"

namespace folio::http {

// The server's end of one stream's connection, after the response head. Thread-safe.
class EventStreamConnection {
 public:
  virtual ~EventStreamConnection() = default;
  // Queues `text` for writing; false once the connection is closed.
  virtual bool send(std::string text) = 0;
  // Bytes queued or being written.
  virtual std::size_t unsent_bytes() const = 0;
  virtual bool closed() const = 0;
  // Closes the connection (what is still queued is dropped).
  virtual void close() = 0;
};

struct EventStreamOptions {
  std::size_t max_streams = 256;  // beyond: 503
  std::size_t max_unsent_bytes = 1 << 20;
  std::chrono::milliseconds slow_consumer_after{10000};
  // How often the log is looked at when this server has committed nothing meanwhile (other
  // servers' writes on one PostgreSQL are seen this late at most).
  std::chrono::milliseconds poll{250};
  std::chrono::milliseconds heartbeat{15000};  // a comment line when nothing else was sent
  std::size_t page = 200;                      // events read per stream per step
};

class EventStreamHub {
 public:
  EventStreamHub(store::EventStore& store, EventStreamOptions options = {});
  ~EventStreamHub();  // stop()
  EventStreamHub(const EventStreamHub&) = delete;
  EventStreamHub& operator=(const EventStreamHub&) = delete;

  // True when another stream may open now (add() may still refuse it at the limit).
  bool has_room() const;
  // Starts following the log for `connection` from request.query.after. False, and the
  // connection closed, when the hub is full or stopped.
  bool add(std::shared_ptr<EventStreamConnection> connection, EventStreamRequest request);
  // Tells the thread to close every stream and end, without waiting for it (it may be in
  // the middle of a read): for a shutdown that must not wait for the store.
  void request_stop();
  // request_stop(), then waits for the thread. Idempotent.
  void stop();

  std::size_t open_streams() const { return open_.load(std::memory_order_relaxed); }
  std::uint64_t dropped_streams() const { return dropped_.load(std::memory_order_relaxed); }

  struct Stream;

 private:
  void follow();
  // One step for `stream` with the log's head at `head`: true when it has more to read.
  bool step(Stream& stream, std::int64_t head);

  store::EventStore& store_;
  const EventStreamOptions options_;
  store::FollowerWait wait_;  // wakes the thread soon after a commit of this process
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Stream>> added_;  // waiting for the thread to take them on
  bool stopping_ = false;
  std::atomic<std::size_t> open_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;  // last: starts when the rest is ready
};

}  // namespace folio::http
