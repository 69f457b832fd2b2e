// Hostile and careless clients (issue 11, part 3): one host holding many slow or idle
// connections does not lock a well-behaved client out; request heads have a deadline;
// pipelined requests are answered in order; a client that never reads holds up nobody.
#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr int kMaxConnections = 40;

class HttpHostileClients : public HttpApiTest {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::create(GetParam());
    start_server({db_->url(),
                  {"--max-connections", std::to_string(kMaxConnections), "--header-timeout", "2",
                   "--evict-waiting-after-ms", "500",
                   // A client that never reads keeps its requests in flight: do not wait.
                   "--shutdown-grace", "1"},
                  true});
  }

  // A connection that has sent `bytes` and is kept open (closed when the test ends).
  tcp::socket& hold(const std::string& bytes) {
    auto& socket = held_.emplace_back(std::make_unique<tcp::socket>(io_));
    socket->connect({asio::ip::make_address("127.0.0.1"), port()});
    if (!bytes.empty()) asio::write(*socket, asio::buffer(bytes));
    return *socket;
  }

  std::uint64_t evictions() {
    const auto body = client().get("/metrics").body;
    const std::string name = "\nfolio_http_connections_evicted_total ";
    const auto at = body.find(name);
    return at == std::string::npos ? 0 : std::stoull(body.substr(at + name.size()));
  }

  // Reads until the peer closes the connection or `timeout` passes; what was read.
  static std::string read_until_closed(tcp::socket& socket, std::chrono::milliseconds timeout,
                                       bool* closed = nullptr) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    socket.non_blocking(true);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      const auto n = socket.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      out.append(buffer, n);
      if (ec) {
        if (closed) *closed = true;
        return out;
      }
    }
    return out;
  }

  asio::io_context io_;
  std::vector<std::unique_ptr<tcp::socket>> held_;
};

TEST_P(HttpHostileClients, ManySlowConnectionsFromOneHostDoNotLockOutAWellBehavedClient) {
  const auto evicted_before = evictions();
  // Slowloris: far more connections than allowed, each with half a request head.
  for (int i = 0; i < 3 * kMaxConnections; ++i) {
    hold("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  }
  std::this_thread::sleep_for(700ms);  // they have waited longer than the eviction age
  for (int i = 0; i < 5; ++i) {
    const auto r = client(false).get("/healthz");
    EXPECT_EQ(r.status, 200) << "attempt " << i << ": " << r.body;
  }
  EXPECT_GT(evictions(), evicted_before);
}

TEST_P(HttpHostileClients, IdleKeepAliveConnectionsMakeRoomForNewOnes) {
  std::vector<HttpClient> idle;
  for (int i = 0; i < kMaxConnections - 2; ++i) {
    idle.push_back(client(true));
    ASSERT_EQ(idle.back().get("/healthz").status, 200) << i;
  }
  std::this_thread::sleep_for(700ms);
  // At the limit now: each new client closes the connection idle the longest.
  std::vector<HttpClient> fresh;
  for (int i = 0; i < 5; ++i) {
    fresh.push_back(client(true));
    EXPECT_EQ(fresh.back().get("/healthz").status, 200) << "new client " << i;
  }
  EXPECT_GT(evictions(), 0u);
}

TEST_P(HttpHostileClients, ARequestHeadThatDoesNotArriveInTimeClosesTheConnection) {
  auto& slow = hold("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  const std::string answer = read_until_closed(slow, 10s, &closed);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(closed) << "still open after 10 s (--header-timeout 2)";
  EXPECT_EQ(answer, "") << "closed without an answer: there was no request";
  EXPECT_GE(waited, 1500ms);
  EXPECT_LT(waited, 8s);
}

TEST_P(HttpHostileClients, PipelinedRequestsAreAnsweredInOrder) {
  auto& socket = hold(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
      "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\nAuthorization: "
      "Bearer " +
      admin_.token() +
      "\r\n\r\n"
      "GET /api/v1/projects HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\n"
      "Connection: close\r\n\r\n");  // no token: 401
  const std::string all = read_until_closed(socket, 10s);
  const auto first = all.find("X-Request-Id: first");
  const auto second = all.find("X-Request-Id: second");
  const auto third = all.find("X-Request-Id: third");
  ASSERT_NE(first, std::string::npos) << all;
  ASSERT_NE(second, std::string::npos) << all;
  ASSERT_NE(third, std::string::npos) << all;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(raw_status(all), 200);
  EXPECT_EQ(raw_status(all.substr(all.rfind("HTTP/1.1 ", second))), 200);
  EXPECT_EQ(raw_status(all.substr(all.rfind("HTTP/1.1 ", third))), 401);
}

TEST_P(HttpHostileClients, AClientThatNeverReadsItsAnswersHoldsUpNobody) {
  // Large answers asked for again and again, never read: the server's writes to it block.
  std::string requests;
  for (int i = 0; i < 200; ++i) {
    requests += "GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  hold(requests);
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(client(false).get("/healthz").status, 200) << i;
  }
  EXPECT_EQ(admin_.get("/api/v1/auth/me").status, 200);
}

TEST_P(HttpHostileClients, RequestSmugglingShapesAreRefused) {
  struct Case {
    const char* name;
    std::string bytes;
  };
  // Obsolete line folding is read as RFC 9112 allows (the fold becomes a space), so a
  // folded length is no number and cannot smuggle a second request.
  const std::vector<Case> cases{
      {"folded content length",
       "POST /api/v1/portfolios HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n 0\r\n\r\nhello"},
      {"folded transfer-encoding",
       "POST /api/v1/portfolios HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n"
       "Content-Length: 5\r\n\r\nhello"},
      {"transfer coding that is not chunked",
       "POST /api/v1/portfolios HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
       "\r\n0\r\n\r\n"},
      {"transfer coding that is not chunked last",
       "POST /api/v1/portfolios HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n"
       "\r\n0\r\n\r\n"},
      {"two transfer-encoding headers",
       "POST /api/v1/portfolios HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"space before the colon",
       "POST /api/v1/portfolios HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string raw = raw_exchange(port(), c.bytes, 10s);
    EXPECT_EQ(raw_status(raw), 400) << raw.substr(0, 300);
    expect_healthy();
  }
}

TEST_P(HttpHostileClients, MalformedUtf8IsRefusedWhereverTextIsAccepted) {
  const std::string bad = "\xC3\x28";  // a lead byte without its continuation
  // In a JSON body.
  auto r = admin_.send({"POST",
                        "/api/v1/portfolios",
                        "{\"name\":\"" + bad + "\"}",
                        {{"Content-Type", "application/json"}}});
  EXPECT_EQ(r.status, 400) << r.body;
  // Percent-encoded in a query string's filter.
  r = admin_.get("/api/v1/portfolios?owner=%C3%28");
  EXPECT_EQ(r.status, 400) << r.body;
  // In a request id: not echoed, replaced by one of the server's.
  r = admin_.get("/healthz", {{"X-Request-Id", "id-" + bad}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("X-Request-Id").find(bad), std::string::npos);
  EXPECT_TRUE(list_ids("portfolios").empty()) << "nothing was written";
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpHostileClients,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
