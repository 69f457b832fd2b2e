// A database that does not answer (issue 11, part 5): a request waiting on a lock another
// connection holds is answered 503 within the statement timeout (PostgreSQL,
// --statement-timeout) or SQLite's lock wait (10 s), writes nothing, and the same request
// succeeds once the lock is gone.
#include <chrono>
#include <future>
#include <thread>

#include "store/event_store.h"
#include "tests/http/held_lock.h"
#include "tests/http/http_fixture.h"

namespace folio::http_test {
namespace {

using namespace std::chrono_literals;

class HttpStuckDatabase : public HttpApiTest {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::create(GetParam());
    start_server({db_->url(), {"--statement-timeout", "1"}, true});
  }
};

TEST_P(HttpStuckDatabase, ARequestBehindALockIsAnswered503InTimeAndWritesNothing) {
  Parents p;
  const auto portfolio = create("portfolios", create_body("portfolios", p, 1));
  const std::string id(portfolio.at("id").as_string());

  HeldLock lock(*db_, id);

  const auto started = std::chrono::steady_clock::now();
  const auto r = admin_.patch("/api/v1/portfolios/" + id, json::object{{"name", "Renamed"}},
                              {{"If-Match", quoted(1)}});
  const auto waited = std::chrono::steady_clock::now() - started;
  lock.release();

  expect_problem(r, 503, "unavailable", "a write behind a lock");
  // PostgreSQL: within a few statement timeouts (the batch, then the write alone); SQLite:
  // its 10 s lock wait, counted from when the write was queued even when a batch ahead of
  // it (the log sealer's, woken by the creation above) waited for the lock first.
  EXPECT_LT(waited, GetParam() == Backend::postgres ? 8s : 20s);
  EXPECT_EQ(current("portfolios", id).at("version"), 1) << "nothing was written";
  EXPECT_EQ(history("portfolios", id).size(), 1u);

  const auto again = admin_.patch("/api/v1/portfolios/" + id, json::object{{"name", "Renamed"}},
                                  {{"If-Match", quoted(1)}});
  EXPECT_EQ(again.status, 200) << again.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpStuckDatabase,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name_of);

}  // namespace
}  // namespace folio::http_test
