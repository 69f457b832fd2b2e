// Database faults a server must ride through.
// SQLite on a disk that fills up (a small tmpfs; the test needs root to mount it): writes
// are answered 503, nothing half-written stays, reads go on, and once there is space again
// writes succeed without a restart; every acknowledged write is there and verifies intact.
// PostgreSQL, on a private cluster of the test's own (scripts/pg-cluster.sh), so the cluster
// the other tests share is never touched:
// - down when `folio serve` starts: the server says so, answers 503 (/healthz too) on its
//   address, keeps retrying, and serves once the database is up;
// - killed with SIGKILL in the middle of a write load (a crash, not a clean shutdown): every
//   request is answered (201 or 503), every acknowledged write is there after PostgreSQL's
//   crash recovery, the server serves again without a restart, and the log and read models
//   verify intact.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/http_client.h"
#include "tests/http/http_fixture.h"
#include "tests/http/server_process.h"
#include "tests/support/folio_process.h"

namespace folio::http_test {
namespace {

// `scripts/pg-cluster.sh <action>` with `environment` before it; what it printed to stdout.
std::string pg_cluster(const std::string& action, const std::string& environment = "") {
  const std::string command =
      environment + " " FOLIO_SOURCE_DIR "/scripts/pg-cluster.sh " + action + " 2>/dev/null";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed");
  char buffer[1024];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  if (::pclose(pipe) != 0) throw std::runtime_error("scripts/pg-cluster.sh " + action + " failed");
  return output;
}

// A PostgreSQL 15 cluster of this test alone, removed at the end.
class PrivateCluster {
 public:
  PrivateCluster() {
    const std::string exports = pg_cluster("start");
    std::smatch m;
    if (std::regex_search(exports, m, std::regex("FOLIO_TEST_PG_URL=(\\S+)"))) url_ = m[1];
    if (std::regex_search(exports, m, std::regex("FOLIO_TEST_PG_DIR=(\\S+)"))) dir_ = m[1];
    if (url_.empty() || dir_.empty()) throw std::runtime_error("pg-cluster.sh said: " + exports);
  }
  ~PrivateCluster() {
    try {
      pg_cluster("stop", environment());
    } catch (const std::exception&) {
    }
  }
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  const std::string& url() const { return url_; }
  void crash() { pg_cluster("crash", environment()); }
  void restart() { pg_cluster("restart", environment()); }

 private:
  std::string environment() const { return "FOLIO_TEST_PG_DIR='" + dir_ + "'"; }
  std::string url_;
  std::string dir_;
};

bool has_event(const ServerProcess& server, const std::string& name) {
  return !server
              .wait_for_log(
                  [&](const json::object& e) {
                    return e.if_contains("event") && e.at("event") == json::value(name);
                  },
                  std::chrono::seconds(10))
              .empty();
}

// Waits (up to 60 s) until `request` answers `status`.
bool wait_for_status(const std::function<int()>& request, int status) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (request() == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Writers creating portfolios until stopped; what each answer was.
class WriteLoad {
 public:
  // `description_size`: characters of each portfolio's description (fills a disk faster).
  WriteLoad(unsigned short port, const std::string& token, int writers,
            std::size_t description_size = 0) {
    for (int w = 0; w < writers; ++w) {
      threads_.emplace_back([this, port, token, w] {
        HttpClient client(port);
        client.set_token(token);
        for (int i = 0; !stop_; ++i) {
          const auto r =
              client.post("/api/v1/portfolios", create_body("portfolios", {}, w * 100000 + i));
          const std::lock_guard lock(mutex_);
          ++statuses_[r.status];
          refused_in_a_row_ = r.status == 503 ? refused_in_a_row_ + 1 : 0;
          if (r.status == 201)
            acknowledged_.push_back(std::string(r.object().at("id").as_string()));
          if (r.status != 201) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
    }
  }
  ~WriteLoad() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::size_t acknowledged_count() const {
    const std::lock_guard lock(mutex_);
    return acknowledged_.size();
  }
  // Waits (up to 60 s) for `n` more acknowledged writes.
  bool wait_for_more(std::size_t n) const {
    const std::size_t target = acknowledged_count() + n;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (acknowledged_count() < target) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  std::vector<std::string> acknowledged() const {
    const std::lock_guard lock(mutex_);
    return acknowledged_;
  }
  // Waits (up to 60 s) until `n` writes in a row were answered 503.
  bool wait_for_refusals(int n) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        const std::lock_guard lock(mutex_);
        if (refused_in_a_row_ >= n) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  std::map<int, int> statuses() const {
    const std::lock_guard lock(mutex_);
    return statuses_;
  }

 private:
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> acknowledged_;
  std::map<int, int> statuses_;
  int refused_in_a_row_ = 0;
  std::vector<std::thread> threads_;
};

std::string admin_token(unsigned short port) {
  HttpClient anonymous(port, false);
  const auto r = anonymous.post("/api/v1/auth/token", json::object{{"username", kAdminUsername},
                                                                   {"password", kAdminPassword}});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? std::string(r.object().at("access_token").as_string()) : "";
}

// Every request had an answer, and only these: acknowledged, or "try again later"; and
// every acknowledged creation can be read back.
void expect_answered_and_kept(const WriteLoad& load, unsigned short port,
                              const std::string& token) {
  std::cout << "answers during the run:";
  for (const auto& [status, count] : load.statuses()) std::cout << " " << status << " x" << count;
  std::cout << "\n";
  for (const auto& [status, count] : load.statuses()) {
    EXPECT_TRUE(status == 201 || status == 503) << count << " answers " << status;
  }
  EXPECT_GT(load.statuses()[503], 0) << "the fault went unnoticed: not a test of one";
  HttpClient admin(port);
  admin.set_token(token);
  int missing = 0;
  for (const auto& id : load.acknowledged()) {
    if (admin.get("/api/v1/portfolios/" + id).status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << load.acknowledged().size() << " acknowledged creations";
}

void expect_verified_intact(const std::string& url) {
  for (const std::vector<std::string>& check :
       {std::vector<std::string>{"verify"}, std::vector<std::string>{"verify", "--projections"}}) {
    const auto run = testing::run_folio(url, check);
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_NE(run.out.find("INTACT"), std::string::npos) << run.out;
  }
}

// A tmpfs of a given size on a fresh directory: a disk that fills up. Needs root.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& size) : path_(dir_.file("disk")) {
    ::mkdir(path_.c_str(), 0700);
    mounted_ =
        std::system(("mount -t tmpfs -o size=" + size + " folio-test-disk " + path_).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) std::system(("umount -l " + path_).c_str());
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool mounted() const { return mounted_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Gives the file system a new size, its files kept (space returns).
  bool resize(const std::string& size) {
    return std::system(("mount -o remount,size=" + size + " " + path_).c_str()) == 0;
  }

 private:
  testing::TempDir dir_;
  std::string path_;
  bool mounted_ = false;
};

TEST(DatabaseFaults, SqliteDiskFull) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs (CI runs as root)";
  SmallDisk disk("3m");
  ASSERT_TRUE(disk.mounted()) << "mount -t tmpfs failed (the test needs CAP_SYS_ADMIN)";
  const std::string url = "sqlite://" + disk.file("folio.db");
  ServerProcess server({url, {"--workers", "2"}});
  ASSERT_NE(server.port(), 0);
  const std::string token = admin_token(server.port());

  WriteLoad load(server.port(), token, 3, 1000);
  ASSERT_TRUE(load.wait_for_refusals(20)) << "the disk never filled up\n" << server.stdout_text();
  const auto full_at = load.acknowledged().size();
  HttpClient anonymous(server.port(), false);
  EXPECT_EQ(anonymous.get("/healthz").status, 200) << "reads go on while the disk is full";

  ASSERT_TRUE(disk.resize("64m"));
  EXPECT_TRUE(load.wait_for_more(50)) << "no write succeeded once space returned\n"
                                      << server.stdout_text();
  load.stop();
  EXPECT_GT(full_at, 0u);
  expect_answered_and_kept(load, server.port(), token);
  EXPECT_EQ(server.terminate(), 0);
  expect_verified_intact(url);
}

// A free TCP port on 127.0.0.1 (nothing listens there once this returns).
unsigned short unused_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

TEST(DatabaseFaults, SigtermWhileWaitingForPostgresStopsCleanly) {
  const std::string nowhere =
      "postgresql://postgres@127.0.0.1:" + std::to_string(unused_port()) + "/postgres";
  ServerProcess server({nowhere, {}});
  ASSERT_NE(server.port(), 0);
  EXPECT_TRUE(has_event(server, "database_unreachable")) << server.stdout_text();
  EXPECT_EQ(HttpClient(server.port(), false).get("/api/v1/resources").status, 503);
  EXPECT_EQ(server.terminate(), 0) << server.stdout_text();
  EXPECT_NE(server.stdout_text().find("stopped while waiting for the database"), std::string::npos)
      << server.stdout_text();
}

TEST(DatabaseFaults, PostgresDownAtStartThenKilledMidLoad) {
  PrivateCluster cluster;
  cluster.crash();  // down before the server starts

  ServerProcess server({cluster.url(), {"--workers", "2"}});
  ASSERT_NE(server.port(), 0);
  EXPECT_NE(server.stdout_text().find("The database does not answer yet"), std::string::npos)
      << server.stdout_text();
  EXPECT_TRUE(has_event(server, "database_unreachable")) << server.stdout_text();
  HttpClient anonymous(server.port(), false);
  const auto health = anonymous.get("/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.header("Retry-After"), "5");
  EXPECT_EQ(health.object().at("error"), "unavailable");
  const auto login = anonymous.post("/api/v1/auth/token", json::object{{"username", "a"}});
  EXPECT_EQ(login.status, 503) << login.body;

  cluster.restart();
  ASSERT_TRUE(wait_for_status([&] { return anonymous.get("/healthz").status; }, 200))
      << server.stdout_text();
  EXPECT_TRUE(has_event(server, "database_reachable")) << server.stdout_text();
  const std::string access_token = admin_token(server.port());
  WriteLoad load(server.port(), access_token, 4);
  ASSERT_TRUE(load.wait_for_more(50)) << server.stdout_text();
  cluster.crash();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto during = anonymous.get("/healthz");
  EXPECT_EQ(during.status, 503) << during.body;
  // The metric an alert on an unreachable store reads (deploy/prometheus/folio-rules.yml).
  const auto sealer_up = [&](const char* value) {
    return wait_for_status(
        [&] {
          const auto metrics = anonymous.get("/metrics").body;
          return metrics.find(std::string("\nfolio_log_sealer_up ") + value + "\n") !=
                         std::string::npos
                     ? 1
                     : 0;
        },
        1);
  };
  EXPECT_TRUE(sealer_up("0")) << anonymous.get("/metrics").body;
  cluster.restart();
  EXPECT_TRUE(load.wait_for_more(50)) << "no write succeeded after the restart\n"
                                      << server.stdout_text();
  EXPECT_TRUE(sealer_up("1")) << anonymous.get("/metrics").body;
  load.stop();

  expect_answered_and_kept(load, server.port(), access_token);
  EXPECT_EQ(server.terminate(), 0);
  expect_verified_intact(cluster.url());
}

}  // namespace
}  // namespace folio::http_test
