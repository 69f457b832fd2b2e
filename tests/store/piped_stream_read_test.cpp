// A stream read through a pipe (EventStore::read_stream_through), as an event loop reads
// what changed since a stale client's version, gives exactly the events read_stream gives,
// binary payloads, command ids and subject keys included; and StreamExcerptTransaction
// serves a unit of work's reads from such an excerpt and refuses anything else. SQLite has
// no pipes: its units read in their own transaction.
#include <gtest/gtest.h>

#include <optional>

#include "store/detached_transaction.h"
#include "store/statement_pipe.h"
#include "tests/support/pipe_driver.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using store::ExpectedVersion;
using store::NeedsTheStore;
using store::SqlValue;
using store::StreamExcerpt;
using store::StreamExcerptTransaction;
using store::Transaction;
using store::Verdict;

class PipedStreamRead : public StoreTest {
 protected:
  // Reads through a pipe of the store's, driven until it answers (as a loop would).
  std::optional<std::vector<events::RecordedEvent>> read_through(store::StatementPipe& pipe,
                                                                 const std::string& stream,
                                                                 std::int64_t from,
                                                                 std::int64_t to) {
    bool answered = false;
    std::optional<std::vector<events::RecordedEvent>> got;
    store_->read_stream_through(pipe, stream, from, to,
                                [&](std::vector<events::RecordedEvent>* events) {
                                  answered = true;
                                  if (events) got = std::move(*events);
                                });
    EXPECT_TRUE(drive_until_answered(pipe));
    EXPECT_TRUE(answered);
    return got;
  }
};

TEST_P(PipedStreamRead, ReadsTheEventsReadStreamReads) {
  // Bytes that text encodings mangle, a command id on one, a subject key on the stream.
  std::vector<events::NewEvent> appended = make_events(5, "p");
  appended[2].payload = std::string("\0\x01\xff\\x00'\"", 8);
  ASSERT_TRUE(
      store_->append("project-a", ExpectedVersion::no_stream(), appended, make_metadata()).ok());
  ASSERT_TRUE(store_
                  ->append("project-a", ExpectedVersion::exactly(5), make_events(1, "q"),
                           make_metadata("command-7", "user-2", "request-9"))
                  .ok());
  ASSERT_TRUE(
      store_
          ->append("project-b", ExpectedVersion::no_stream(), make_events(2, "b"), make_metadata())
          .ok());
  store_->transact(store::Access::read_write, [](Transaction& tx) {
    const SqlValue params[] = {std::string("project-a"), std::string("a-subject-key")};
    tx.execute("INSERT INTO subject_keys (stream_id, subject_key) VALUES ($1, $2)", params);
    return Verdict::commit;
  });
  const auto pipe = store_->open_statement_pipe();
  if (GetParam() == Backend::sqlite) {
    EXPECT_EQ(pipe, nullptr) << "SQLite reads in its units' own transactions";
    return;
  }
  ASSERT_NE(pipe, nullptr);
  const auto expected = store_->read_stream("project-a", 2, 6);
  ASSERT_EQ(expected.size(), 5u);
  const auto got = read_through(*pipe, "project-a", 2, 6);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(SameEvents(*got, expected));
  EXPECT_EQ((*got)[1].payload, appended[2].payload);
  EXPECT_EQ((*got)[4].metadata.command_id, "command-7");
  for (const auto& e : *got) EXPECT_EQ(e.subject_key, "a-subject-key");
  const auto none = read_through(*pipe, "project-a", 7, 9);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty()) << "versions not written yet";
}

TEST_P(PipedStreamRead, AnExcerptAnswersReadsWithinItAndNothingElse) {
  ASSERT_TRUE(
      store_
          ->append("project-a", ExpectedVersion::no_stream(), make_events(6, "p"), make_metadata())
          .ok());
  const StreamExcerpt excerpt{"project-a", 3, 5, store_->read_stream("project-a", 3, 5)};
  StreamExcerptTransaction tx(excerpt);
  EXPECT_TRUE(SameEvents(tx.read_stream("project-a", 3, 5), excerpt.events));
  EXPECT_TRUE(
      SameEvents(tx.read_stream("project-a", 4, 4), store_->read_stream("project-a", 4, 4)));
  EXPECT_THROW(tx.read_stream("project-a", 2, 5), NeedsTheStore) << "before the excerpt";
  EXPECT_THROW(tx.read_stream("project-a", 3, 6), NeedsTheStore) << "after the excerpt";
  EXPECT_THROW(tx.read_stream("project-b", 3, 5), NeedsTheStore) << "another stream";
  EXPECT_THROW(tx.stream_version("project-a"), NeedsTheStore);
  EXPECT_THROW(tx.query("SELECT 1", {}), NeedsTheStore);
  EXPECT_THROW(
      tx.append("project-a", ExpectedVersion::exactly(6), make_events(1, "x"), make_metadata()),
      NeedsTheStore);
  EXPECT_EQ(store_->stream_version("project-a"), 6) << "nothing reached the store";
}

INSTANTIATE_TEST_SUITE_P(Backends, PipedStreamRead, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
