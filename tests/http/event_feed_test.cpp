// The event feed (docs/api.md "Event feed"): GET /api/v1/events gives the log in its global
// order, filtered by entity type and by what the reader may read; with Accept:
// text/event-stream the same events arrive live, and a consumer that reconnects with its
// Last-Event-ID sees every event exactly once, in order, while writers write and across a
// server restart.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/http/event_stream_client.h"
#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

using testing::Backend;

constexpr const char* kEvents = "/api/v1/events";

std::int64_t position_of(const json::value& event) { return event.at("position").as_int64(); }

class HttpEventFeed : public HttpApiTest {
 protected:
  // Every event `client` may read after `after` (with `query` added), page by page.
  static std::vector<json::object> read_feed(HttpClient& client, const std::string& query = "",
                                             std::int64_t after = 0) {
    std::vector<json::object> events;
    for (int pages = 0; pages < 1000; ++pages) {
      const auto r = client.get(std::string(kEvents) + "?limit=7&after=" + std::to_string(after) +
                                (query.empty() ? "" : "&" + query));
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      const auto page = r.object();
      for (const auto& e : page.at("items").as_array()) events.push_back(e.as_object());
      EXPECT_GE(page.at("next_after").as_int64(), after);
      after = page.at("next_after").as_int64();
      if (!page.at("more").as_bool()) break;
    }
    return events;
  }

  // The position of the last event now (admin's view).
  std::int64_t head() {
    const auto all = read_feed(admin_);
    return all.empty() ? 0 : position_of(all.back());
  }

  Parents portfolio_with_program() {
    Parents p;
    p.portfolio_id =
        std::string(create("portfolios", create_body("portfolios", p, 1)).at("id").as_string());
    p.program_id =
        std::string(create("programs", create_body("programs", p, 1)).at("id").as_string());
    return p;
  }
};

TEST_P(HttpEventFeed, PagesGiveTheLogInOrderFilteredByType) {
  Parents p = portfolio_with_program();
  const auto project = create("projects", create_body("projects", p, 1));
  const std::string url = "/api/v1/projects/" + std::string(project.at("id").as_string());
  for (int v = 1; v <= 2; ++v) {
    auto [field, value] = probe_change("projects", v);
    ASSERT_EQ(admin_.patch(url, json::object{{"version", v}, {field, value}}).status, 200);
  }

  const auto all = read_feed(admin_);
  // The admin's bootstrap (user, role), then the plan: positions strictly increasing.
  ASSERT_GE(all.size(), 7u);
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(position_of(all[i - 1]), position_of(all[i]));
  }
  EXPECT_EQ(all.front().at("event_type"), "UserCreated");
  const auto& last = all.back();
  EXPECT_EQ(last.at("event_type"), "ProjectUpdated");
  EXPECT_EQ(last.at("entity_type"), "project");
  EXPECT_EQ(last.at("entity_id"), project.at("id"));
  EXPECT_EQ(last.at("version"), 3);
  EXPECT_EQ(last.at("user_id").as_string(), admin_id_);
  const auto [field, value] = probe_change("projects", 2);
  EXPECT_EQ(last.at("data").as_object().at(field), value);

  // Filters: one type, or several.
  const auto projects = read_feed(admin_, "entity_type=project");
  ASSERT_EQ(projects.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(projects[i].at("version"), i + 1);
  EXPECT_EQ(read_feed(admin_, "entity_type=project,program").size(), 4u);

  // A page: `limit` events, `next_after` the last one's position, `more` while some follow.
  const auto page = admin_.get(std::string(kEvents) + "?limit=2").object();
  ASSERT_EQ(page.at("items").as_array().size(), 2u);
  EXPECT_EQ(page.at("next_after"), position_of(page.at("items").as_array()[1]));
  EXPECT_TRUE(page.at("more").as_bool());
  // The end: nothing, `next_after` where to ask again.
  const auto end =
      admin_.get(std::string(kEvents) + "?after=" + std::to_string(position_of(last))).object();
  EXPECT_TRUE(end.at("items").as_array().empty());
  EXPECT_EQ(end.at("next_after"), position_of(last));
  EXPECT_FALSE(end.at("more").as_bool());
  // Last-Event-ID counts as `after` on pages too.
  const auto resumed =
      admin_.get(kEvents, {{"Last-Event-ID", std::to_string(position_of(all[all.size() - 2]))}});
  ASSERT_EQ(resumed.object().at("items").as_array().size(), 1u);

  // Bad queries: 400, and no token: 401.
  for (const std::string query : {"after=-1", "after=x", "limit=0", "limit=1001", "limit=",
                                  "entity_type=projects", "entity_type=project,", "since=1"}) {
    expect_problem(admin_.get(std::string(kEvents) + "?" + query), 400, "bad_request", query);
  }
  expect_problem(admin_.get(kEvents, {{"Last-Event-ID", "abc"}}), 400, "bad_request");
  expect_problem(client().get(kEvents), 401, "unauthenticated");
  EXPECT_EQ(admin_.post(kEvents, json::object{}).status, 405);
}

TEST_P(HttpEventFeed, ReadersSeeOnlyTheEventsOfWhatTheyMayRead) {
  Parents inside = portfolio_with_program();
  Parents outside = inside;
  outside.program_id =
      std::string(create("programs", create_body("programs", inside, 2)).at("id").as_string());
  inside.project_id =
      std::string(create("projects", create_body("projects", inside, 1)).at("id").as_string());
  outside.project_id =
      std::string(create("projects", create_body("projects", outside, 2)).at("id").as_string());
  auto viewer = create_role_user("viewer-a", "viewer", "program", inside.program_id);

  std::set<std::string> seen;
  for (const auto& e : read_feed(viewer.client))
    seen.insert(std::string(e.at("entity_id").as_string()));
  const std::set<std::string> expected{inside.portfolio_id, inside.program_id, inside.project_id};
  EXPECT_EQ(seen, expected) << "a program's viewer sees the organisation's entities and its "
                               "program's, nothing of another program, no users or roles";
  EXPECT_TRUE(read_feed(viewer.client, "entity_type=user").empty());

  // The admin sees every event, the viewer's own user, role and scope included.
  std::set<std::string> all;
  for (const auto& e : read_feed(admin_)) all.insert(std::string(e.at("entity_id").as_string()));
  for (const auto& id :
       {outside.program_id, outside.project_id, viewer.user_id, viewer.role_id, viewer.scope_id}) {
    EXPECT_TRUE(all.count(id)) << id;
  }

  // A live stream filters the same way.
  EventStreamClient stream(port(), kEvents, viewer.client.token());
  ASSERT_EQ(stream.status(), 200) << stream.head();
  std::set<std::string> streamed;
  while (auto event = stream.next(std::chrono::seconds(2))) {
    streamed.insert(std::string(json::parse(event->data).at("entity_id").as_string()));
  }
  EXPECT_EQ(streamed, expected);
}

TEST_P(HttpEventFeed, ALiveStreamSendsNewEventsAndResumesAfterItsLastEventId) {
  const std::int64_t start = head();
  std::string last_id;
  {
    EventStreamClient stream(port(), std::string(kEvents) + "?after=" + std::to_string(start),
                             admin_.token());
    ASSERT_EQ(stream.status(), 200) << stream.head();
    EXPECT_NE(stream.head().find("Content-Type: text/event-stream"), std::string::npos);
    const auto made = create("portfolios", create_body("portfolios", {}, 1));
    const auto event = stream.next(std::chrono::seconds(10));
    ASSERT_TRUE(event);
    const auto data = json::parse(event->data).as_object();
    EXPECT_EQ(event->id, std::to_string(position_of(data)));
    EXPECT_EQ(position_of(data), start + 1);
    EXPECT_EQ(data.at("event_type"), "PortfolioCreated");
    EXPECT_EQ(data.at("entity_id"), made.at("id"));
    last_id = event->id;
  }  // the consumer goes away
  create("portfolios", create_body("portfolios", {}, 2));
  create("portfolios", create_body("portfolios", {}, 3));
  // Back with Last-Event-ID: exactly the two it missed (the ?after= of its first request
  // does not count any more).
  EventStreamClient again(port(), std::string(kEvents) + "?after=" + std::to_string(start),
                          admin_.token(), last_id);
  ASSERT_EQ(again.status(), 200);
  for (int i = 1; i <= 2; ++i) {
    const auto event = again.next(std::chrono::seconds(10));
    ASSERT_TRUE(event);
    EXPECT_EQ(event->id, std::to_string(start + 1 + i));
  }
  EXPECT_FALSE(again.next(std::chrono::milliseconds(500)));

  // Refusals come as ordinary problem answers.
  EXPECT_EQ(EventStreamClient(port(), kEvents, "not-a-token").status(), 401);
  EXPECT_EQ(EventStreamClient(port(), kEvents, admin_.token(), "x1").status(), 400);
}

// A consumer that reads the stream, goes away every few events and comes back with its
// Last-Event-ID, to whatever port() is then (the test moves it when it restarts the
// server), until it has seen `until` (set once the writers are done) or a minute passed.
// Records every position it receives.
class ReconnectingConsumer {
 public:
  ReconnectingConsumer(std::string token, unsigned short port, std::int64_t after)
      : token_(std::move(token)), port_(port) {
    thread_ = std::thread([this, after] { run(after); });
  }
  ~ReconnectingConsumer() {
    if (thread_.joinable()) finish(1);  // a failed test: stop at once
  }
  void move_to(unsigned short port) { port_ = port; }
  // Waits until the consumer has seen `until` (or gave up).
  void finish(std::int64_t until) {
    until_ = until;
    thread_.join();
  }
  const std::vector<std::int64_t>& positions() const { return positions_; }

 private:
  void run(std::int64_t after) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    std::string last = std::to_string(after);
    std::int64_t seen = after;
    const auto done = [&] {
      return (until_ > 0 && seen >= until_) || std::chrono::steady_clock::now() > deadline;
    };
    while (!done()) {
      EventStreamClient stream(port_, kEvents, token_, last);
      if (stream.status() != 200) {  // the server is restarting
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      for (int i = 0; i < 13 && !done(); ++i) {
        const auto event = stream.next(std::chrono::milliseconds(200));
        if (event) {
          positions_.push_back(std::stoll(event->id));
          last = event->id;
          seen = positions_.back();
        } else if (stream.closed()) {
          break;
        }
      }
    }
  }

  std::string token_;
  std::atomic<unsigned short> port_;
  std::atomic<std::int64_t> until_{0};
  std::vector<std::int64_t> positions_;  // the consumer thread's until joined
  std::thread thread_;
};

TEST_P(HttpEventFeed, AReconnectingConsumerSeesEveryEventOnceInOrderAcrossARestart) {
  constexpr int kWriters = 8;
  constexpr int kPerWriter = 6;
  const std::int64_t start = head();
  const std::string token = admin_.token();
  // Each writer creates portfolios and updates each once: two events per portfolio.
  const auto write = [&](unsigned short to, int round) {
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        HttpClient c(to);
        c.set_token(token);
        for (int i = 0; i < kPerWriter; ++i) {
          const int n = round * 100 + w * kPerWriter + i;
          const auto made = c.post("/api/v1/portfolios", create_body("portfolios", {}, n));
          ASSERT_EQ(made.status, 201) << made.body;
          auto [field, value] = probe_change("portfolios", n);
          const auto id = std::string(made.object().at("id").as_string());
          ASSERT_EQ(
              c.patch("/api/v1/portfolios/" + id, json::object{{"version", 1}, {field, value}})
                  .status,
              200);
        }
      });
    }
    for (auto& t : writers) t.join();
  };

  // The consumer follows the log while writers write, and while the server restarts under
  // it (its stream is cut; it comes back to the new server with its last id).
  ReconnectingConsumer consumer(token, port(), start);
  write(port(), 1);
  EXPECT_EQ(server_->terminate(), 0);
  server_ = std::make_unique<ServerProcess>(ServeOptions{db_->url(), {}, false});
  ASSERT_NE(server_->port(), 0);
  consumer.move_to(server_->port());
  admin_ = HttpClient(server_->port());
  admin_.set_token(token);
  write(server_->port(), 2);
  consumer.finish(head());

  std::vector<std::int64_t> expected;
  for (const auto& e : read_feed(admin_, "", start)) expected.push_back(position_of(e));
  ASSERT_EQ(expected.size(), 2u * 2 * kWriters * kPerWriter);
  EXPECT_EQ(consumer.positions(), expected) << "every event once, in the global order";
}

// A client that opens a stream and never reads it is dropped once its events wait too long
// (--event-stream-buffer, --read-timeout), while a consumer beside it gets every event.
TEST_P(HttpEventFeed, AConsumerThatDoesNotReadIsDroppedAndHoldsNoOneUp) {
  server_->terminate();
  start_server({db_->url(), {"--event-stream-buffer", "16", "--read-timeout", "2"}, true});
  const std::int64_t start = head();
  // A small receive window, so that the kernels' buffers fill after a few events.
  const int stuck = ::socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096;
  ASSERT_EQ(::setsockopt(stuck, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(stuck, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  const std::string request = "GET /api/v1/events?after=" + std::to_string(start) +
                              " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                              "Authorization: Bearer " +
                              admin_.token() + "\r\n\r\n";
  ASSERT_EQ(::send(stuck, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  char head[12] = {};
  ASSERT_EQ(::recv(stuck, head, sizeof head, MSG_WAITALL), static_cast<ssize_t>(sizeof head));
  ASSERT_EQ(std::string(head, sizeof head), "HTTP/1.1 200") << "the stream opened";
  EventStreamClient good(port(), std::string(kEvents) + "?after=" + std::to_string(start),
                         admin_.token());
  ASSERT_EQ(good.status(), 200);
  constexpr int kCreated = 365;  // about 150 kB of events
  int received = 0;
  std::thread reader([&] {
    while (received < kCreated && good.next(std::chrono::seconds(20))) ++received;
  });
  for (int n = 0; n < kCreated; ++n) {
    EXPECT_EQ(admin_.post("/api/v1/portfolios", create_body("portfolios", {}, n)).status, 201);
  }
  reader.join();
  EXPECT_EQ(received, kCreated) << "the consumer that reads gets every event";

  // The stuck client's stream ends (within --read-timeout of its last progress) ...
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string metrics;
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = client().get("/metrics").body;
    if (metrics.find("\nfolio_event_streams_open 1\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(metrics.find("\nfolio_event_streams_open 1\n"), std::string::npos)
      << "the server still holds the stream of a client that does not read";
  // ... and its connection with it: reading it now gets what reached it, then the end,
  // well before the 150 kB the other consumer got.
  std::size_t read_back = 0;
  bool closed = false;
  timeval wait{1, 0};
  ::setsockopt(stuck, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    char chunk[4096];
    const ssize_t n = ::recv(stuck, chunk, sizeof chunk, 0);
    if (n > 0) read_back += static_cast<std::size_t>(n);
    closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
  ::close(stuck);
  EXPECT_TRUE(closed);
  EXPECT_LT(read_back, 100000u);
  const auto dropped = server_->wait_for_log(
      [](const json::object& e) {
        return e.if_contains("event") && e.at("event") == "event_stream_dropped";
      },
      std::chrono::seconds(5));
  std::string shown;
  std::istringstream lines(server_->stdout_text());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"request\"") == std::string::npos) shown += line + "\n";
  }
  EXPECT_FALSE(dropped.empty()) << "the operator learns why\n" << shown;
}

// A stream lives only as long as its reader may read: deactivating the user closes it.
TEST_P(HttpEventFeed, AStreamEndsWhenItsReaderIsDeactivated) {
  auto viewer = create_role_user("short-lived", "viewer", "global", "");
  EventStreamClient stream(port(), kEvents, viewer.client.token());
  ASSERT_EQ(stream.status(), 200);
  while (stream.next(std::chrono::milliseconds(500))) {
  }
  const auto user = current("users", viewer.user_id);
  const auto r = admin_.patch("/api/v1/users/" + viewer.user_id,
                              json::object{{"version", user.at("version")}, {"is_active", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  create("portfolios", create_body("portfolios", {}, 7));  // written after: never sent
  while (auto event = stream.next(std::chrono::seconds(10))) {
    EXPECT_NE(json::parse(event->data).at("event_type"), "PortfolioCreated")
        << "an event written after the deactivation reached the deactivated reader";
  }
  EXPECT_TRUE(stream.closed()) << "the server still streams to a deactivated user";
}

// Open streams do not hold a shutdown up: SIGTERM ends them and the server exits 0.
TEST_P(HttpEventFeed, ShutdownClosesOpenStreams) {
  EventStreamClient first(port(), kEvents, admin_.token());
  EventStreamClient second(port(), kEvents, admin_.token());
  ASSERT_EQ(first.status(), 200);
  ASSERT_EQ(second.status(), 200);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->terminate(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
  while (first.next(std::chrono::seconds(5))) {
  }
  EXPECT_TRUE(first.closed());
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpEventFeed,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
