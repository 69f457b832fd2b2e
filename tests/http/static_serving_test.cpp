// `folio serve` serves the web console at "/" (http/static_files.h) next to the API: the
// real binary on SQLite, a console folder given with --web-root, requests over sockets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tests/http/http_client.h"
#include "tests/http/server_process.h"
#include "tests/support/test_database.h"

namespace folio::http_test {
namespace {

namespace fs = std::filesystem;

class ConsoleFolder {
 public:
  ConsoleFolder()
      : root_(fs::temp_directory_path() /
              ("folio-console-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(root_ / "assets");
    std::ofstream(root_ / "index.html") << "<!doctype html><title>Folio</title>";
    std::ofstream(root_ / "assets" / "index-1a2b.js") << "export {};";
  }
  ~ConsoleFolder() { fs::remove_all(root_); }
  std::string path() const { return root_.string(); }

 private:
  fs::path root_;
};

TEST(HttpConsole, ServedAtTheRootBesideTheApi) {
  ConsoleFolder folder;
  auto db = testing::TestDatabase::create(testing::Backend::sqlite);
  ServerProcess server({db->url(), {"--web-root", folder.path()}});
  ASSERT_NE(server.port(), 0);
  HttpClient c(server.port());

  const auto index = c.get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>Folio</title>");
  EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.header("Cache-Control"), "no-cache");

  const auto head = c.send({"HEAD", "/assets/index-1a2b.js", "", {}});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "10");
  EXPECT_EQ(head.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(head.header("Cache-Control"), "public, max-age=31536000, immutable");

  EXPECT_EQ(c.get("/%2e%2e/%2e%2e/etc/passwd").status, 404);
  EXPECT_EQ(c.get("/assets/missing.js").status, 404);
  const auto post = c.send({"POST", "/", "{}", {{"Content-Type", "application/json"}}});
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("Allow"), "GET, HEAD");
  // The API keeps its own answers: unknown API paths are problems, not console files.
  EXPECT_EQ(c.get("/api/nothing").header("Content-Type"), "application/problem+json");
  EXPECT_EQ(c.get("/api/v1/openapi.json").status, 200);
  EXPECT_EQ(c.get("/api/v1/projects").status, 401);
  // Console requests are one metrics route, whatever the path.
  EXPECT_NE(c.get("/metrics").body.find(R"(route="/{console}",status="200")"), std::string::npos);
}

TEST(HttpConsole, WithoutABuiltConsoleTheRootSaysHowToBuildIt) {
  auto db = testing::TestDatabase::create(testing::Backend::sqlite);
  ServerProcess server({db->url(), {"--web-root", "/nonexistent/folio-web-dist"}});
  ASSERT_NE(server.port(), 0);
  const auto r = HttpClient(server.port()).get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_NE(r.body.find("npm run build"), std::string::npos) << r.body;
  EXPECT_NE(server.stdout_text().find("web console is not built"), std::string::npos);
}

}  // namespace
}  // namespace folio::http_test
