// The web console's static files: a plain function from a request path to a response,
// tested on a temporary folder without a server.
#include "http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace folio::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("folio-static-" + std::to_string(std::random_device{}()));
    root_ = base_ / "dist";
    fs::create_directories(root_ / "assets");
    write(root_ / "index.html", "<!doctype html><title>Folio</title>");
    write(root_ / "assets" / "index-abc123.js", "console.log('folio');");
    write(root_ / "assets" / "index-abc123.css", "body{}");
    write(root_ / "favicon.svg", "<svg/>");
    write(root_ / ".env", "secret");
    write(base_ / "outside.txt", "outside the root");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  Response get(std::string_view target, std::string_view if_none_match = {}) {
    return static_file_response(root_.string(), target, if_none_match);
  }

  fs::path base_, root_;
};

TEST_F(StaticFilesTest, RootServesIndexHtmlThatBrowsersRevalidate) {
  const Response r = get("/");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "<!doctype html><title>Folio</title>");
  EXPECT_EQ(r[beast_http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(r[beast_http::field::cache_control], "no-cache");
  EXPECT_NE(r["Content-Security-Policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(r["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(get("/index.html").body(), r.body());
  EXPECT_EQ(get("/?next=%2Fe%2Fprojects").body(), r.body()) << "the query is not part of the path";
}

TEST_F(StaticFilesTest, HashedAssetsAreCachedForAYearWithTheirContentType) {
  const Response js = get("/assets/index-abc123.js");
  EXPECT_EQ(js.result_int(), 200);
  EXPECT_EQ(js.body(), "console.log('folio');");
  EXPECT_EQ(js[beast_http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(js[beast_http::field::cache_control], "public, max-age=31536000, immutable");
  EXPECT_EQ(js[beast_http::field::content_length], "21");
  EXPECT_EQ(get("/assets/index-abc123.css")[beast_http::field::content_type],
            "text/css; charset=utf-8");
  EXPECT_EQ(get("/favicon.svg")[beast_http::field::content_type], "image/svg+xml");
  EXPECT_EQ(get("/favicon.svg")[beast_http::field::cache_control], "no-cache");
}

TEST_F(StaticFilesTest, AMatchingETagAnswers304WithoutBody) {
  const Response first = get("/assets/index-abc123.js");
  const std::string etag(first[beast_http::field::etag]);
  ASSERT_FALSE(etag.empty());
  const Response again = get("/assets/index-abc123.js", etag);
  EXPECT_EQ(again.result_int(), 304);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(get("/assets/index-abc123.js", "\"other\"").result_int(), 200);
}

TEST_F(StaticFilesTest, TraversalHiddenFilesAndFoldersAreRefused) {
  for (const char* target :
       {"/../outside.txt", "/assets/../../outside.txt", "/%2e%2e/outside.txt",
        "/%2E%2E%2Foutside.txt", "/assets/%2e%2e/%2e%2e/outside.txt", "/.env", "/%2eenv",
        "/assets/..%5c..%5coutside.txt", "/assets%2f..%2f..%2foutside.txt", "/index.html%00.js",
        "/./index.html", "/assets", "/assets/", "/missing.js", "/%zz", "/%4", "/e/projects"}) {
    const Response r = get(target);
    EXPECT_EQ(r.result_int(), 404) << target;
    EXPECT_EQ(r.body().find("outside the root"), std::string::npos) << target;
    EXPECT_EQ(r.body().find("secret"), std::string::npos) << target;
    EXPECT_EQ(r[beast_http::field::content_type], "application/problem+json") << target;
  }
}

TEST_F(StaticFilesTest, SymbolicLinksMayNotLeadOutOfTheRoot) {
  fs::create_symlink(base_ / "outside.txt", root_ / "link.txt");
  fs::create_symlink(root_ / "index.html", root_ / "home.html");
  EXPECT_EQ(get("/link.txt").result_int(), 404);
  EXPECT_EQ(get("/home.html").result_int(), 200);
}

TEST_F(StaticFilesTest, WithoutABuiltConsoleTheRootExplainsHowToBuildIt) {
  for (const std::string& missing : {(base_ / "nothing-here").string(), std::string()}) {
    const Response r = static_file_response(missing, "/");
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_EQ(r[beast_http::field::content_type], "text/plain; charset=utf-8");
    EXPECT_NE(r.body().find("npm run build"), std::string::npos);
    EXPECT_NE(r.body().find("--web-root"), std::string::npos);
    EXPECT_EQ(static_file_response(missing, "/assets/x.js").result_int(), 404);
  }
}

TEST(ContentType, KnownExtensionsCaseInsensitiveAndAFallback) {
  EXPECT_EQ(content_type_for("a.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("x.js.map"), "application/json");
  EXPECT_EQ(content_type_for("font.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("archive.tar.gz"), "application/octet-stream");
}

}  // namespace
}  // namespace folio::http
