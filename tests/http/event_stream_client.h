// A Server-Sent Events client for the tests of the live event feed: one blocking socket,
// the request of an EventSource (Accept: text/event-stream, Last-Event-ID when resuming),
// and the events read one at a time with a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "tests/http/http_client.h"

namespace folio::http_test {

struct ServerSentEvent {
  std::string id;    // its `id:` line ("" when it had none)
  std::string data;  // its `data:` lines, joined with '\n'
};

class EventStreamClient {
 public:
  // Connects and sends GET `target` with the token; `last_event_id` as Last-Event-ID when
  // not empty. status() tells how the server answered.
  EventStreamClient(unsigned short port, const std::string& target, const std::string& token,
                    const std::string& last_event_id = "");
  ~EventStreamClient();
  EventStreamClient(const EventStreamClient&) = delete;
  EventStreamClient& operator=(const EventStreamClient&) = delete;

  // The response's status (0: no response head within the timeout) and head.
  int status() const { return status_; }
  const std::string& head() const { return head_; }

  // The next event, skipping comments (heartbeats) and `retry:` fields; nullopt when none
  // came within `timeout` or the server closed the stream (then closed() is true).
  std::optional<ServerSentEvent> next(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }
  // Comment lines seen so far (": heartbeat", ...), without the colon.
  int comments() const { return comments_; }

 private:
  // Reads more bytes into buffer_; false on timeout or close.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  int status_ = 0;
  std::string head_;
  std::string buffer_;  // unparsed body bytes
  bool closed_ = false;
  int comments_ = 0;
};

}  // namespace folio::http_test
