// GETs of one entity under concurrency, as the server answers them on PostgreSQL: each
// event loop sends the GETs of its connections to the database together, through a
// connection of its own (http/loop_statement_pipe.h). Every client must still read its own
// writes, versions must never go backwards for a reader, and when that connection is cut
// every GET is still answered, at worst with a 503, and reads recover at once.
#include <atomic>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <thread>

#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

constexpr int kWriters = 6;
constexpr int kReaders = 6;
constexpr int kRounds = 40;

class HttpConcurrentReads : public HttpApiTest {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::create(GetParam());
    // Two loops for 13 connections: several GETs share each loop's batches.
    start_server({url_with_name(), {"--workers", "2"}, true});
  }

  // PostgreSQL: the test database's URL with an application_name of this test's own, so
  // that the server's connections can be told from other tests' on the same cluster.
  std::string url_with_name() {
    if (GetParam() != Backend::postgres) return db_->url();
    application_name_ = "folio_reads_" + random_uuid().substr(0, 8);
    return db_->url() + "&application_name=" + application_name_;
  }

  std::string application_name_;
};

TEST_P(HttpConcurrentReads, EachClientReadsItsOwnWritesAndNoReaderSeesAVersionGoBack) {
  std::vector<std::string> ids;
  for (int i = 0; i < kWriters; ++i) {
    ids.push_back(
        std::string(create("resources", create_body("resources", {}, i)).at("id").as_string()));
  }
  std::atomic<int> failures{0};
  auto fail = [&](const std::string& what) {
    if (failures.fetch_add(1) < 10) ADD_FAILURE() << what;
  };
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      HttpClient c = client();
      c.set_token(admin_.token());
      const std::string target = "/api/v1/resources/" + ids[w];
      for (int round = 1; round <= kRounds; ++round) {
        const std::string description = "round " + std::to_string(round);
        const auto updated =
            c.patch(target, json::object{{"version", round}, {"description", description}});
        if (updated.status != 200)
          return fail("PATCH " + std::to_string(updated.status) + updated.body);
        const auto read = c.get(target);
        if (read.status != 200 || read.header("ETag") != quoted(round + 1) ||
            read.object().at("description") != json::value(description)) {
          return fail("a GET after its own write saw " + read.header("ETag") + " " + read.body);
        }
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      HttpClient c = client();
      c.set_token(admin_.token());
      std::vector<std::int64_t> seen(kWriters, 0);
      for (int i = 0; writing.load() || i < kWriters; ++i) {
        const int which = (i + r) % kWriters;
        const auto read = c.get("/api/v1/resources/" + ids[which]);
        if (read.status != 200) return fail("GET " + std::to_string(read.status) + read.body);
        const std::int64_t version = read.object().at("version").as_int64();
        if (version < seen[which]) {
          return fail("version went back from " + std::to_string(seen[which]) + " to " +
                      std::to_string(version));
        }
        seen[which] = version;
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  writing = false;
  for (std::size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(failures.load(), 0);
  for (const auto& id : ids) EXPECT_EQ(current("resources", id).at("version"), kRounds + 1);
}

class HttpCutStoreConnections : public HttpConcurrentReads {};  // PostgreSQL only

TEST_P(HttpCutStoreConnections, ReadsAreAnsweredAndRecoverAtOnce) {
  const auto made = create("resources", create_body("resources", {}, 1));
  const std::string target = "/api/v1/resources/" + std::string(made.at("id").as_string());
  ASSERT_EQ(admin_.get(target).status, 200);
  {
    pqxx::connection connection(db_->server_url());
    pqxx::nontransaction tx(connection);
    const auto cut = tx.exec1(
                           "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                           " WHERE application_name = " +
                           tx.quote(application_name_))[0]
                         .as<int>();
    ASSERT_GT(cut, 0) << "the server's connections were not found";
  }
  int unavailable = 0;
  for (int i = 0; i < 20; ++i) {
    const auto r = admin_.get(target);
    if (r.status == 503) {
      expect_problem(r, 503, "unavailable");
      EXPECT_FALSE(r.header("Retry-After").empty());
      ++unavailable;
      continue;
    }
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.object().at("id"), made.at("id"));
  }
  // At most the first GET on each loop meets a cut connection that it cannot retry.
  EXPECT_LE(unavailable, 2) << "GETs answered 503 after the cut";
  EXPECT_EQ(admin_.get(target).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpConcurrentReads,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);
INSTANTIATE_TEST_SUITE_P(Backends, HttpCutStoreConnections, ::testing::Values(Backend::postgres),
                         backend_name_of);

}  // namespace
}  // namespace folio::http_test
