// The EventStore contract, written once and run against every backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "events/timestamp.h"
#include "store/event_store.h"
#include "store/store_error.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using namespace std::string_literals;
using events::NewEvent;
using events::RecordedEvent;
using store::Access;
using store::AppendResult;
using store::ExpectedVersion;
using store::Transaction;
using store::Verdict;
using Status = AppendResult::Status;

std::vector<std::int64_t> versions_of(const std::vector<RecordedEvent>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e.stream_version);
  return out;
}

std::vector<std::string> payloads_of(const std::vector<RecordedEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.payload);
  return out;
}

std::vector<std::int64_t> positions_of(const std::vector<RecordedEvent>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e.global_position);
  return out;
}

bool strictly_increasing(const std::vector<std::int64_t>& v) {
  return std::adjacent_find(v.begin(), v.end(), [](auto a, auto b) { return a >= b; }) == v.end();
}

class EventStoreConformance : public StoreTest {};

TEST_P(EventStoreConformance, DialectNamesTheBackend) {
  EXPECT_EQ(store_->dialect(), GetParam() == Backend::sqlite ? "sqlite" : "postgresql");
}

// ---- versions and expected versions -----------------------------------------------------

// PostgreSQL's text cannot hold a NUL (libpq would cut the value short and match or store
// the wrong thing), so neither backend takes one: the statement fails and writes nothing.
TEST_P(EventStoreConformance, TextHoldingANulIsRefusedAndWritesNothing) {
  const std::vector<store::SqlValue> insert{std::int64_t{1}, "eve\0x"s};
  EXPECT_THROW(store_->transact(Access::read_write,
                                [&](Transaction& tx) {
                                  tx.execute(
                                      "INSERT INTO login_failures (window_ends, throttle_key,"
                                      " failures) VALUES ($1, $2, 1)",
                                      insert);
                                  return Verdict::commit;
                                }),
               std::invalid_argument);
  const store::SqlValue eve{"eve"s};
  std::size_t rows = 99;
  store_->transact(Access::read_only, [&](Transaction& tx) {
    rows =
        tx.query("SELECT failures FROM login_failures WHERE throttle_key = $1", std::span(&eve, 1))
            .size();
    return Verdict::commit;
  });
  EXPECT_EQ(rows, 0u);
}

TEST_P(EventStoreConformance, MissingStreamHasVersionZeroAndNoEvents) {
  EXPECT_EQ(store_->stream_version("project-missing"), 0);
  EXPECT_TRUE(store_->read_stream("project-missing").empty());
  EXPECT_TRUE(everything().empty());
}

TEST_P(EventStoreConformance, NoStreamCreatesTheStream) {
  const auto a = append("project-a", ExpectedVersion::no_stream(), make_events(1, "a"));
  EXPECT_EQ(a.status, Status::appended);
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(a.stream_version, 1);
  EXPECT_GT(a.first_position, 0);
  EXPECT_EQ(a.last_position, a.first_position);
  EXPECT_EQ(store_->stream_version("project-a"), 1);

  const auto b = append("project-b", ExpectedVersion::no_stream(), make_events(2, "b"));
  EXPECT_EQ(b.status, Status::appended);
  EXPECT_EQ(b.stream_version, 2);
  EXPECT_GT(b.first_position, a.last_position);
  EXPECT_EQ(b.last_position, b.first_position + 1);

  const auto stream_a = store_->read_stream("project-a");
  ASSERT_EQ(stream_a.size(), 1u);
  EXPECT_EQ(stream_a[0].stream_id, "project-a");
  EXPECT_EQ(stream_a[0].stream_version, 1);
  EXPECT_EQ(stream_a[0].global_position, a.first_position);
  EXPECT_EQ(stream_a[0].payload, "a#1");

  const auto all = everything();
  EXPECT_EQ(payloads_of(all), (std::vector<std::string>{"a#1", "b#1", "b#2"}));
  EXPECT_EQ(positions_of(all),
            (std::vector<std::int64_t>{a.first_position, b.first_position, b.last_position}));
}

TEST_P(EventStoreConformance, NoStreamOnAnExistingStreamIsAMismatchAndWritesNothing) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(2, "a")).status,
            Status::appended);
  const auto before = everything();

  const auto r = append("project-a", ExpectedVersion::no_stream(), make_events(1, "again"));
  EXPECT_EQ(r.status, Status::version_mismatch);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.stream_version, 2);  // the actual version
  EXPECT_EQ(r.first_position, 0);
  EXPECT_EQ(r.last_position, 0);
  EXPECT_TRUE(SameEvents(everything(), before));
  EXPECT_EQ(store_->stream_version("project-a"), 2);
}

TEST_P(EventStoreConformance, ExactExpectedVersionAppends) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(1, "one")).status,
            Status::appended);
  const auto r2 = append("project-a", ExpectedVersion::exactly(1), make_events(1, "two"));
  EXPECT_EQ(r2.status, Status::appended);
  EXPECT_EQ(r2.stream_version, 2);
  const auto r4 = append("project-a", ExpectedVersion::exactly(2), make_events(2, "three"));
  EXPECT_EQ(r4.status, Status::appended);
  EXPECT_EQ(r4.stream_version, 4);
  EXPECT_GT(r4.first_position, r2.last_position);

  const auto events = store_->read_stream("project-a");
  EXPECT_EQ(versions_of(events), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(payloads_of(events),
            (std::vector<std::string>{"one#1", "two#1", "three#1", "three#2"}));
  EXPECT_EQ(store_->stream_version("project-a"), 4);
}

TEST_P(EventStoreConformance, StaleExpectedVersionReturnsTheActualVersionAndWritesNothing) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(3, "a")).status,
            Status::appended);
  const auto stream_before = store_->read_stream("project-a");
  const auto all_before = everything();

  for (std::int64_t stale : {1, 2}) {
    const auto r = append("project-a", ExpectedVersion::exactly(stale), make_events(1, "late"));
    EXPECT_EQ(r.status, Status::version_mismatch) << "expected " << stale;
    EXPECT_EQ(r.stream_version, 3) << "expected " << stale;
    EXPECT_EQ(r.first_position, 0);
    EXPECT_EQ(r.last_position, 0);
  }
  EXPECT_TRUE(SameEvents(store_->read_stream("project-a"), stream_before));
  EXPECT_TRUE(SameEvents(everything(), all_before));
  EXPECT_EQ(store_->stream_version("project-a"), 3);
}

TEST_P(EventStoreConformance, ExpectedVersionAheadOfTheStreamIsAMismatch) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(1, "a")).status,
            Status::appended);
  const auto before = everything();
  for (std::int64_t ahead : {2, 5}) {
    const auto r = append("project-a", ExpectedVersion::exactly(ahead), make_events(1, "x"));
    EXPECT_EQ(r.status, Status::version_mismatch) << "expected " << ahead;
    EXPECT_EQ(r.stream_version, 1) << "expected " << ahead;
  }
  EXPECT_TRUE(SameEvents(everything(), before));
}

TEST_P(EventStoreConformance, ExactVersionOnAMissingStreamIsAMismatchAndCreatesNothing) {
  const auto r = append("project-missing", ExpectedVersion::exactly(1), make_events(2, "x"));
  EXPECT_EQ(r.status, Status::version_mismatch);
  EXPECT_EQ(r.stream_version, 0);
  EXPECT_EQ(store_->stream_version("project-missing"), 0);
  EXPECT_TRUE(store_->read_stream("project-missing").empty());
  EXPECT_TRUE(everything().empty());
  // The stream was not half-created: creating it still works and starts at version 1.
  const auto created = append("project-missing", ExpectedVersion::no_stream(), make_events(1, "y"));
  EXPECT_EQ(created.status, Status::appended);
  EXPECT_EQ(created.stream_version, 1);
}

TEST_P(EventStoreConformance, AnyAppendsWithoutACheck) {
  const auto r1 = append("project-a", ExpectedVersion::any(), make_events(2, "first"));
  EXPECT_EQ(r1.status, Status::appended);
  EXPECT_EQ(r1.stream_version, 2);
  const auto r2 = append("project-a", ExpectedVersion::any(), make_events(1, "second"));
  EXPECT_EQ(r2.status, Status::appended);
  EXPECT_EQ(r2.stream_version, 3);
  EXPECT_EQ(versions_of(store_->read_stream("project-a")), (std::vector<std::int64_t>{1, 2, 3}));
  // any() created an ordinary stream: exact checks apply to it afterwards.
  EXPECT_EQ(append("project-a", ExpectedVersion::exactly(2), make_events(1, "x")).status,
            Status::version_mismatch);
  EXPECT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(1, "x")).status,
            Status::version_mismatch);
}

// ---- atomic multi-event appends ---------------------------------------------------------

TEST_P(EventStoreConformance, MultiEventAppendGetsConsecutiveVersionsAndPositions) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(2, "a")).status,
            Status::appended);
  ASSERT_EQ(append("project-b", ExpectedVersion::no_stream(), make_events(1, "b")).status,
            Status::appended);

  const auto r = append("project-a", ExpectedVersion::exactly(2), make_events(3, "m"));
  ASSERT_EQ(r.status, Status::appended);
  EXPECT_EQ(r.stream_version, 5);
  EXPECT_EQ(r.last_position, r.first_position + 2);

  const auto tail = store_->read_stream("project-a", 3);
  EXPECT_EQ(versions_of(tail), (std::vector<std::int64_t>{3, 4, 5}));
  EXPECT_EQ(payloads_of(tail), (std::vector<std::string>{"m#1", "m#2", "m#3"}));

  const auto from_log = store_->read_all(r.first_position - 1, 10);
  ASSERT_EQ(from_log.size(), 3u);
  EXPECT_EQ(
      positions_of(from_log),
      (std::vector<std::int64_t>{r.first_position, r.first_position + 1, r.first_position + 2}));
  EXPECT_EQ(payloads_of(from_log), payloads_of(tail));
}

TEST_P(EventStoreConformance, FailingMultiEventAppendWritesNoneOfItsEvents) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(2, "a")).status,
            Status::appended);
  const auto before = everything();
  const auto r = append("project-a", ExpectedVersion::exactly(1), make_events(3, "m"));
  EXPECT_EQ(r.status, Status::version_mismatch);
  EXPECT_EQ(r.stream_version, 2);
  EXPECT_TRUE(SameEvents(everything(), before));
  EXPECT_EQ(store_->stream_version("project-a"), 2);
}

// ---- idempotency ------------------------------------------------------------------------

TEST_P(EventStoreConformance, RepeatedCommandIdReturnsTheOriginalResultAndWritesNothing) {
  const auto original = append("project-a", ExpectedVersion::no_stream(), make_events(2, "orig"),
                               make_metadata("cmd-1"));
  ASSERT_EQ(original.status, Status::appended);
  const auto before = everything();

  // Retried with a fresh expected version.
  const auto fresh_retry = append("project-a", ExpectedVersion::exactly(2), make_events(2, "retry"),
                                  make_metadata("cmd-1"));
  EXPECT_EQ(fresh_retry.status, Status::duplicate);
  EXPECT_TRUE(fresh_retry.ok());
  EXPECT_EQ(fresh_retry.stream_version, original.stream_version);
  EXPECT_EQ(fresh_retry.first_position, original.first_position);
  EXPECT_EQ(fresh_retry.last_position, original.last_position);
  EXPECT_TRUE(SameEvents(everything(), before));

  // Retried with the expected version of the original attempt, now stale.
  const auto stale_retry = append("project-a", ExpectedVersion::no_stream(),
                                  make_events(2, "retry"), make_metadata("cmd-1"));
  EXPECT_EQ(stale_retry.status, Status::duplicate);
  EXPECT_EQ(stale_retry.stream_version, original.stream_version);
  EXPECT_EQ(stale_retry.first_position, original.first_position);
  EXPECT_EQ(stale_retry.last_position, original.last_position);
  EXPECT_TRUE(SameEvents(everything(), before));

  // A different command id is a new append.
  const auto other = append("project-a", ExpectedVersion::exactly(2), make_events(1, "other"),
                            make_metadata("cmd-2"));
  EXPECT_EQ(other.status, Status::appended);
  EXPECT_EQ(other.stream_version, 3);

  // Later appends do not change what a retry of the first command returns.
  const auto late_retry = append("project-a", ExpectedVersion::exactly(3), make_events(1, "retry"),
                                 make_metadata("cmd-1"));
  EXPECT_EQ(late_retry.status, Status::duplicate);
  EXPECT_EQ(late_retry.stream_version, original.stream_version);
  EXPECT_EQ(late_retry.first_position, original.first_position);
  EXPECT_EQ(late_retry.last_position, original.last_position);

  const auto other_retry =
      append("project-a", ExpectedVersion::any(), make_events(1, "retry"), make_metadata("cmd-2"));
  EXPECT_EQ(other_retry,
            (AppendResult{Status::duplicate, 3, other.first_position, other.last_position}));

  EXPECT_EQ(payloads_of(store_->read_stream("project-a")),
            (std::vector<std::string>{"orig#1", "orig#2", "other#1"}));
}

TEST_P(EventStoreConformance, CommandIdOfAFailedAppendIsNotRemembered) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(1, "a")).status,
            Status::appended);
  const auto failed =
      append("project-a", ExpectedVersion::exactly(7), make_events(1, "x"), make_metadata("cmd-9"));
  ASSERT_EQ(failed.status, Status::version_mismatch);
  const auto retried =
      append("project-a", ExpectedVersion::exactly(1), make_events(1, "x"), make_metadata("cmd-9"));
  EXPECT_EQ(retried.status, Status::appended);
  EXPECT_EQ(retried.stream_version, 2);
}

TEST_P(EventStoreConformance, CommandIdsAreScopedToTheirStream) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(1, "a"),
                   make_metadata("cmd-shared"))
                .status,
            Status::appended);
  const auto b = append("project-b", ExpectedVersion::no_stream(), make_events(1, "b"),
                        make_metadata("cmd-shared"));
  EXPECT_EQ(b.status, Status::appended);
  EXPECT_EQ(b.stream_version, 1);
  EXPECT_EQ(store_->read_stream("project-b").size(), 1u);
}

TEST_P(EventStoreConformance, EmptyCommandIdIsNeverADuplicate) {
  EXPECT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(1, "a")).status,
            Status::appended);
  const auto second = append("project-a", ExpectedVersion::exactly(1), make_events(1, "a"));
  EXPECT_EQ(second.status, Status::appended);
  EXPECT_EQ(second.stream_version, 2);
  const auto third = append("project-a", ExpectedVersion::any(), make_events(1, "a"));
  EXPECT_EQ(third.status, Status::appended);
  EXPECT_EQ(third.stream_version, 3);
  EXPECT_EQ(everything().size(), 3u);
}

// ---- reading ----------------------------------------------------------------------------

TEST_P(EventStoreConformance, ReadStreamRangesAreInclusive) {
  ASSERT_EQ(append("project-a", ExpectedVersion::no_stream(), make_events(5, "a")).status,
            Status::appended);
  ASSERT_EQ(append("project-b", ExpectedVersion::no_stream(), make_events(2, "b")).status,
            Status::appended);

  const auto full = store_->read_stream("project-a");
  EXPECT_EQ(versions_of(full), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  for (const auto& e : full) EXPECT_EQ(e.stream_id, "project-a");
  EXPECT_TRUE(strictly_increasing(positions_of(full)));

  using V = std::vector<std::int64_t>;
  EXPECT_EQ(versions_of(store_->read_stream("project-a", 2, 4)), (V{2, 3, 4}));
  EXPECT_EQ(versions_of(store_->read_stream("project-a", 4)), (V{4, 5}));
  EXPECT_EQ(versions_of(store_->read_stream("project-a", 1, 1)), (V{1}));
  EXPECT_EQ(versions_of(store_->read_stream("project-a", 5, 5)), (V{5}));
  EXPECT_EQ(versions_of(store_->read_stream("project-a", 3, 100)), (V{3, 4, 5}));
  EXPECT_TRUE(store_->read_stream("project-a", 6).empty());
  EXPECT_TRUE(store_->read_stream("project-a", 100, 200).empty());
  EXPECT_TRUE(store_->read_stream("project-a", 4, 2).empty());
  EXPECT_EQ(payloads_of(store_->read_stream("project-a", 2, 3)),
            (std::vector<std::string>{"a#2", "a#3"}));
}

TEST_P(EventStoreConformance, ReadAllPagesThroughTheLogInPositionOrder) {
  ASSERT_TRUE(append("project-a", ExpectedVersion::no_stream(), make_events(2, "a")).ok());
  ASSERT_TRUE(append("project-b", ExpectedVersion::no_stream(), make_events(3, "b")).ok());
  ASSERT_TRUE(append("project-a", ExpectedVersion::exactly(2), make_events(1, "c")).ok());

  const auto all = everything();
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(payloads_of(all), (std::vector<std::string>{"a#1", "a#2", "b#1", "b#2", "b#3", "c#1"}));
  EXPECT_TRUE(strictly_increasing(positions_of(all)));
  EXPECT_EQ(all[5].stream_id, "project-a");
  EXPECT_EQ(all[5].stream_version, 3);

  using Events = std::vector<RecordedEvent>;
  EXPECT_TRUE(SameEvents(store_->read_all(0, 2), Events{all[0], all[1]}));
  EXPECT_TRUE(
      SameEvents(store_->read_all(all[1].global_position, 3), Events{all[2], all[3], all[4]}));
  EXPECT_TRUE(SameEvents(store_->read_all(all[4].global_position, 10), Events{all[5]}));
  EXPECT_TRUE(store_->read_all(all[5].global_position, 10).empty());
  EXPECT_TRUE(store_->read_all(all[5].global_position + 1000, 10).empty());
  EXPECT_TRUE(store_->read_all(0, 0).empty());

  // Following the log page by page yields every event once, in order.
  std::vector<RecordedEvent> followed;
  std::int64_t after = 0;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = store_->read_all(after, 4);
    EXPECT_LE(page.size(), 4u);
    if (page.empty()) break;
    followed.insert(followed.end(), page.begin(), page.end());
    after = page.back().global_position;
  }
  EXPECT_TRUE(SameEvents(followed, all));
}

// ---- what is stored ---------------------------------------------------------------------

TEST_P(EventStoreConformance, PayloadBytesRoundTripExactly) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::vector<std::string> payloads = {
      every_byte,
      "\0"s,
      "\0\0\0"s,
      "",
      "Gr\xC3\xBC\xC3\x9F"
      "e, \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x9A\x80 \0 after NUL"s,
      "\xC3\x28 invalid UTF-8 \xFF\xFE"s,
      "trailing NUL\0"s,
      "\\x00 'quoted' \"text\" ; DROP TABLE events; --",
  };
  std::vector<NewEvent> events;
  for (const auto& p : payloads) events.push_back(make_event("ProjectUpdated", p));
  ASSERT_TRUE(append("project-bytes", ExpectedVersion::no_stream(), events).ok());

  const auto stored = store_->read_stream("project-bytes");
  ASSERT_EQ(stored.size(), payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(stored[i].payload.size(), payloads[i].size()) << "payload " << i;
    EXPECT_TRUE(stored[i].payload == payloads[i]) << "payload " << i << " differs";
  }
  EXPECT_EQ(payloads_of(everything()), payloads);
}

TEST_P(EventStoreConformance, NonAsciiTextInMetadataRoundTrips) {
  const events::EventMetadata metadata{"us\xC3\xA9r-\xE6\x9D\xB1", "req-\xF0\x9F\x9A\x80",
                                       "cmd-\xC3\xBC"};
  ASSERT_TRUE(
      append("project-text", ExpectedVersion::no_stream(), make_events(1, "x"), metadata).ok());
  const auto stored = store_->read_stream("project-text");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].metadata.user_id, metadata.user_id);
  EXPECT_EQ(stored[0].metadata.request_id, metadata.request_id);
  EXPECT_EQ(stored[0].metadata.command_id, metadata.command_id);
  // The non-ASCII command id still identifies the append.
  EXPECT_EQ(
      append("project-text", ExpectedVersion::exactly(1), make_events(1, "x"), metadata).status,
      Status::duplicate);
}

TEST_P(EventStoreConformance, OneMebibytePayloadRoundTrips) {
  std::mt19937 rng(42);
  std::string big(1 << 20, '\0');
  for (auto& c : big) c = static_cast<char>(rng() & 0xFF);
  ASSERT_TRUE(
      append("project-big", ExpectedVersion::no_stream(), {make_event("ProjectImported", big)})
          .ok());
  const auto stored = store_->read_stream("project-big");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].payload.size(), big.size());
  EXPECT_TRUE(stored[0].payload == big) << "1 MiB payload differs after the round trip";
  const auto logged = store_->read_all(0, 10);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_TRUE(logged[0].payload == big) << "1 MiB payload differs in read_all";
}

TEST_P(EventStoreConformance, EnvelopeFieldsAreStoredAndReturned) {
  const std::string before = events::now_timestamp();
  const auto r =
      append("project-env", ExpectedVersion::no_stream(),
             {make_event("ProjectCreated", "p1", 1), make_event("ProjectRenamed", "p2", 7)},
             make_metadata("cmd-77", "user-42", "req-abc"));
  const std::string after = events::now_timestamp();
  ASSERT_EQ(r.status, Status::appended);

  const auto stored = store_->read_stream("project-env");
  ASSERT_EQ(stored.size(), 2u);
  static const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  const std::vector<std::pair<std::string, std::int32_t>> expected_types = {{"ProjectCreated", 1},
                                                                            {"ProjectRenamed", 7}};
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const auto& e = stored[i];
    SCOPED_TRACE("event " + std::to_string(i));
    EXPECT_EQ(e.stream_id, "project-env");
    EXPECT_EQ(e.stream_version, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(e.global_position, r.first_position + static_cast<std::int64_t>(i));
    EXPECT_EQ(e.event_type, expected_types[i].first);
    EXPECT_EQ(e.schema_version, expected_types[i].second);
    EXPECT_EQ(e.payload, i == 0 ? "p1" : "p2");
    EXPECT_EQ(e.metadata.user_id, "user-42");
    EXPECT_EQ(e.metadata.request_id, "req-abc");
    EXPECT_EQ(e.metadata.command_id, "cmd-77");
    EXPECT_TRUE(std::regex_match(e.recorded_at, rfc3339)) << e.recorded_at;
    // The server's UTC time of the append (fixed-width strings compare like instants).
    EXPECT_LE(before, e.recorded_at);
    EXPECT_GE(after, e.recorded_at);
  }
  // read_all returns the very same records.
  EXPECT_TRUE(SameEvents(everything(), stored));
}

TEST_P(EventStoreConformance, RecordedAtGivenInTheMetadataIsRecorded) {
  // A command handler passes its own instant so read models and events agree on it.
  auto metadata = make_metadata("cmd-t");
  metadata.recorded_at = "2026-11-28T08:15:00.123Z";
  ASSERT_TRUE(
      append("project-t", ExpectedVersion::no_stream(), make_events(2, "t"), metadata).ok());
  const auto stored = store_->read_stream("project-t");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].recorded_at, "2026-11-28T08:15:00.123Z");
  EXPECT_EQ(stored[1].recorded_at, "2026-11-28T08:15:00.123Z");
}

TEST_P(EventStoreConformance, EmptyMetadataIsReturnedEmpty) {
  ASSERT_TRUE(
      append("project-sys", ExpectedVersion::any(), make_events(1, "s"), events::EventMetadata{})
          .ok());
  const auto stored = store_->read_stream("project-sys");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(same_metadata(stored[0].metadata, events::EventMetadata{}));
  EXPECT_EQ(stored[0].schema_version, 1);
}

TEST_P(EventStoreConformance, EventsSurviveReopeningTheStore) {
  ASSERT_TRUE(
      append("project-a", ExpectedVersion::no_stream(), make_events(2, "a"), make_metadata("cmd-1"))
          .ok());
  const auto before = everything();
  store_.reset();
  store_ = db_->open_store();
  EXPECT_TRUE(SameEvents(everything(), before));
  EXPECT_EQ(store_->stream_version("project-a"), 2);
  EXPECT_EQ(append("project-a", ExpectedVersion::exactly(2), make_events(1, "b")).stream_version,
            3);
  EXPECT_EQ(
      append("project-a", ExpectedVersion::exactly(3), make_events(1, "c"), make_metadata("cmd-1"))
          .status,
      Status::duplicate);
}

TEST_P(EventStoreConformance, AppendWithoutEventsOrStreamIdIsAUsageError) {
  EXPECT_THROW(store_->append("project-a", ExpectedVersion::no_stream(), {}, make_metadata()),
               store::StoreUsageError);
  EXPECT_THROW(append("", ExpectedVersion::no_stream(), make_events(1, "x")),
               store::StoreUsageError);
  EXPECT_EQ(store_->stream_version("project-a"), 0);
  EXPECT_TRUE(everything().empty());
}

// ---- units of work ----------------------------------------------------------------------

TEST_P(EventStoreConformance, RolledBackUnitOfWorkLeavesNothingWritten) {
  ASSERT_TRUE(append("project-a", ExpectedVersion::no_stream(), make_events(1, "a")).ok());
  const auto before = everything();

  AppendResult inside;
  std::int64_t version_inside = -1;
  std::size_t events_inside = 0;
  store_->transact(Access::read_write, [&](Transaction& tx) {
    inside = tx.append("project-a", ExpectedVersion::exactly(1), make_events(2, "rb"),
                       make_metadata("cmd-rb"));
    tx.append("project-new", ExpectedVersion::no_stream(), make_events(1, "rb"), make_metadata());
    version_inside = tx.stream_version("project-a");
    events_inside = tx.read_stream("project-a").size();
    return Verdict::rollback;
  });
  // The unit of work saw its own writes...
  EXPECT_EQ(inside.status, Status::appended);
  EXPECT_EQ(inside.stream_version, 3);
  EXPECT_EQ(version_inside, 3);
  EXPECT_EQ(events_inside, 3u);
  // ...and none of them survived.
  EXPECT_TRUE(SameEvents(everything(), before));
  EXPECT_EQ(store_->stream_version("project-a"), 1);
  EXPECT_EQ(store_->stream_version("project-new"), 0);
  // Its command id was not remembered either.
  const auto again = append("project-a", ExpectedVersion::exactly(1), make_events(1, "x"),
                            make_metadata("cmd-rb"));
  EXPECT_EQ(again.status, Status::appended);
  EXPECT_EQ(again.stream_version, 2);
}

TEST_P(EventStoreConformance, UnitOfWorkThatThrowsLeavesNothingWrittenAndRethrows) {
  EXPECT_THROW(store_->transact(Access::read_write,
                                [&](Transaction& tx) -> Verdict {
                                  tx.append("project-a", ExpectedVersion::no_stream(),
                                            make_events(2, "a"), make_metadata("cmd-t"));
                                  tx.append("project-b", ExpectedVersion::no_stream(),
                                            make_events(1, "b"), make_metadata());
                                  throw WorkFailed("boom");
                                }),
               WorkFailed);
  EXPECT_TRUE(everything().empty());
  EXPECT_EQ(store_->stream_version("project-a"), 0);
  EXPECT_EQ(store_->stream_version("project-b"), 0);
  // The store stays usable and the streams can still be created.
  const auto r = append("project-a", ExpectedVersion::no_stream(), make_events(1, "a"),
                        make_metadata("cmd-t"));
  EXPECT_EQ(r.status, Status::appended);
  EXPECT_EQ(r.stream_version, 1);
}

TEST_P(EventStoreConformance, TwoAppendsInOneUnitOfWorkCommitTogether) {
  auto observer = db_->open_store();
  AppendResult ra, rb;
  std::size_t seen_by_observer_inside = 99;
  store_->transact(Access::read_write, [&](Transaction& tx) {
    ra = tx.append("project-a", ExpectedVersion::no_stream(), make_events(2, "a"), make_metadata());
    rb = tx.append("project-b", ExpectedVersion::no_stream(), make_events(1, "b"), make_metadata());
    // Another connection sees nothing before the commit. (read_stream, not read_all: on
    // PostgreSQL read_all waits for appends in flight to commit, which this one cannot
    // do until the work returns.)
    seen_by_observer_inside = observer->read_stream("project-a").size() +
                              observer->read_stream("project-b").size();
    return Verdict::commit;
  });
  EXPECT_EQ(seen_by_observer_inside, 0u);
  ASSERT_EQ(ra.status, Status::appended);
  ASSERT_EQ(rb.status, Status::appended);
  EXPECT_GT(rb.first_position, ra.last_position);

  const auto all = observer->read_all(0, 100);
  EXPECT_EQ(payloads_of(all), (std::vector<std::string>{"a#1", "a#2", "b#1"}));
  EXPECT_EQ(observer->stream_version("project-a"), 2);
  EXPECT_EQ(observer->stream_version("project-b"), 1);
}

TEST_P(EventStoreConformance, MismatchInsideAUnitOfWorkLeavesEarlierAppendsToTheVerdict) {
  // A unit of work appends to two streams; the second expectation fails, and the work
  // decides to roll back: neither append survives.
  ASSERT_TRUE(append("project-b", ExpectedVersion::no_stream(), make_events(1, "b")).ok());
  const auto before = everything();
  AppendResult second;
  store_->transact(Access::read_write, [&](Transaction& tx) {
    tx.append("project-a", ExpectedVersion::no_stream(), make_events(1, "a"), make_metadata());
    second =
        tx.append("project-b", ExpectedVersion::no_stream(), make_events(1, "b"), make_metadata());
    return second.ok() ? Verdict::commit : Verdict::rollback;
  });
  EXPECT_EQ(second.status, Status::version_mismatch);
  EXPECT_EQ(second.stream_version, 1);
  EXPECT_TRUE(SameEvents(everything(), before));
  EXPECT_EQ(store_->stream_version("project-a"), 0);
}

TEST_P(EventStoreConformance, ReadOnlyUnitOfWorkSeesCommittedEvents) {
  ASSERT_TRUE(append("project-a", ExpectedVersion::no_stream(), make_events(2, "a")).ok());
  std::int64_t version = -1;
  std::vector<RecordedEvent> events;
  store_->transact(Access::read_only, [&](Transaction& tx) {
    version = tx.stream_version("project-a");
    events = tx.read_all(0, 10);
    return Verdict::commit;
  });
  EXPECT_EQ(version, 2);
  EXPECT_EQ(payloads_of(events), (std::vector<std::string>{"a#1", "a#2"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreConformance, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
