// Tamper evidence on both backends: the hashes the append writes, the sealer, and what
// verify_log reports after rows are edited, deleted, inserted or reordered behind the
// store's back (plain SQL through Transaction::execute, as an intruder with database
// access would).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/event_hash.h"
#include "store/event_store.h"
#include "store/log_sealer.h"
#include "store/log_verifier.h"
#include "tests/support/property.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using events::RecordedEvent;
using store::Access;
using store::ExpectedVersion;
using store::LogProblem;
using store::SqlRow;
using store::SqlValue;
using store::Transaction;
using store::Verdict;
using Kind = LogProblem::Kind;

constexpr const char* kHashes =
    "SELECT global_position, event_hash FROM events ORDER BY global_position";
constexpr const char* kSetPayloadSqlite =
    "UPDATE events SET payload = X'00ff00' WHERE global_position = $1";
constexpr const char* kSetPayloadPg =
    "UPDATE events SET payload = decode('00ff00', 'hex') WHERE global_position = $1";
constexpr const char* kSetUser =
    "UPDATE events SET user_id = 'someone-else' WHERE global_position = $1";
constexpr const char* kDeleteEvent = "DELETE FROM events WHERE global_position = $1";
constexpr const char* kDeleteStreamEvents = "DELETE FROM events WHERE stream_id = $1";
constexpr const char* kDeleteStream = "DELETE FROM streams WHERE stream_id = $1";
constexpr const char* kSetVersion =
    "UPDATE events SET stream_version = $2 WHERE global_position = $1";
constexpr const char* kSetPosition =
    "UPDATE events SET global_position = $2 WHERE global_position = $1";
constexpr const char* kCopyEventAs =
    "INSERT INTO events (global_position, stream_id, stream_version, event_type, schema_version,"
    " payload, recorded_at, user_id, request_id, event_hash)"
    " SELECT $2, stream_id, $3, event_type, schema_version, payload, recorded_at, user_id,"
    " request_id, event_hash FROM events WHERE global_position = $1";
constexpr const char* kForgetHashesUpTo =
    "UPDATE events SET event_hash = NULL WHERE global_position <= $1";
constexpr const char* kForgetHash =
    "UPDATE events SET event_hash = NULL WHERE global_position = $1";

class TamperEvidence : public StoreTest {
 protected:
  // Three streams written in interleaved appends (one of them two events at once):
  //   position 1 A v1, 2 B v1, 3 A v2, 4 C v1, 5 B v2, 6 A v3, 7 A v4, 8 C v2
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(append(kA, ExpectedVersion::no_stream(), make_events(1, "a")).ok());
    ASSERT_TRUE(append(kB, ExpectedVersion::no_stream(), make_events(1, "b")).ok());
    ASSERT_TRUE(append(kA, ExpectedVersion::exactly(1), make_events(1, "a2")).ok());
    ASSERT_TRUE(append(kC, ExpectedVersion::no_stream(), make_events(1, "c"),
                       make_metadata("command-c", "user-2", "request-9"))
                    .ok());
    ASSERT_TRUE(append(kB, ExpectedVersion::exactly(1), make_events(1, "b2")).ok());
    ASSERT_TRUE(append(kA, ExpectedVersion::exactly(2), make_events(2, "a3")).ok());
    ASSERT_TRUE(append(kC, ExpectedVersion::any(), make_events(1, "c2")).ok());
  }

  void tamper(const char* sql, std::vector<SqlValue> params) {
    store_->transact(Access::read_write, [&](Transaction& tx) {
      EXPECT_GE(tx.execute(sql, params), 1u) << sql;  // it did change something
      return Verdict::commit;
    });
  }

  const char* set_payload_sql() const {
    return GetParam() == Backend::sqlite ? kSetPayloadSqlite : kSetPayloadPg;
  }

  store::LogVerifyReport verify(std::size_t batch = 3) {
    store::LogVerifyOptions options;
    options.batch = batch;  // small pages: cross page boundaries inside streams
    return store::verify_log(*store_, options);
  }

  static ::testing::AssertionResult FirstIs(const store::LogVerifyReport& report, Kind kind,
                                            std::int64_t position, const std::string& stream,
                                            std::int64_t version) {
    if (!report.first) return ::testing::AssertionFailure() << "no problem reported";
    const auto& p = *report.first;
    if (p.kind == kind && p.position == position && p.stream_id == stream &&
        p.stream_version == version) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "first problem is " << store::kind_name(p.kind) << " at position " << p.position
           << " stream '" << p.stream_id << "' v" << p.stream_version << ": " << p.detail;
  }

  static bool has_problem(const store::LogVerifyReport& report, Kind kind) {
    for (const auto& p : report.problems) {
      if (p.kind == kind) return true;
    }
    return false;
  }

  const std::string kA = "project-a";
  const std::string kB = "project-b";
  const std::string kC = "project-c";
};

TEST_P(TamperEvidence, HashesWrittenByTheAppendEqualTheRecomputedChains) {
  std::map<std::int64_t, std::string> stored;
  store_->transact(Access::read_only, [&](Transaction& tx) {
    for (const SqlRow& row : tx.query(kHashes, {})) {
      stored[std::get<std::int64_t>(row[0])] = std::get<std::string>(row[1]);
    }
    return Verdict::commit;
  });
  ASSERT_EQ(stored.size(), 8u);
  for (const auto& stream : {kA, kB, kC}) {
    std::string previous;
    for (const RecordedEvent& e : store_->read_stream(stream)) {
      const std::string expected = store::chain_hash(previous, store::canonical_event_bytes(e));
      EXPECT_EQ(stored.at(e.global_position), store::to_hex(expected))
          << stream << " v" << e.stream_version;
      previous = expected;
    }
  }
  std::string running(store::kHashBytes, '\0');
  for (const auto& [position, hash] : stored) {
    running = store::chain_hash(running, store::from_hex(hash));
  }
  store::seal_log(*store_);
  const auto report = verify();
  EXPECT_TRUE(report.intact()) << report.first->detail;
  EXPECT_EQ(report.head_running_hash, store::to_hex(running));
  EXPECT_EQ(report.last_seal_hash, store::to_hex(running));
  EXPECT_EQ(report.head_position, 8);
}

TEST_P(TamperEvidence, CanonicalBytesSeparateEveryField) {
  // Moving a byte from one field to the next must change the bytes (length prefixes).
  const RecordedEvent e = store_->read_stream(kC).front();  // user-2, request-9
  const std::string original = store::canonical_event_bytes(e);
  RecordedEvent moved = e;
  moved.metadata.user_id.pop_back();
  moved.metadata.request_id.insert(0, 1, e.metadata.user_id.back());
  EXPECT_NE(store::canonical_event_bytes(moved), original);
  RecordedEvent shifted = e;
  shifted.event_type += shifted.payload.substr(0, 1);
  shifted.payload.erase(0, 1);
  EXPECT_NE(store::canonical_event_bytes(shifted), original);
  EXPECT_EQ(store::canonical_event_bytes(e), original);
}

TEST_P(TamperEvidence, CleanStoreVerifiesIntactWithAndWithoutSeals) {
  auto report = verify();
  EXPECT_TRUE(report.intact());
  EXPECT_EQ(report.events_checked, 8);
  EXPECT_EQ(report.streams_checked, 3);
  EXPECT_EQ(report.seals_checked, 0);
  EXPECT_EQ(report.events_after_last_seal, 8);
  EXPECT_EQ(report.events_not_covered, 0);

  EXPECT_EQ(store::seal_log(*store_, {}, 3), 8);
  EXPECT_EQ(store::seal_log(*store_), 0);  // nothing left
  ASSERT_TRUE(append(kB, ExpectedVersion::exactly(2), make_events(1, "b3")).ok());
  report = verify();
  EXPECT_TRUE(report.intact());
  EXPECT_EQ(report.seals_checked, 3);  // at positions 3, 6, 8
  EXPECT_EQ(report.last_seal_position, 8);
  EXPECT_EQ(report.events_after_last_seal, 1);
  EXPECT_EQ(report.head_position, 9);
}

TEST_P(TamperEvidence, UpdatedPayloadIsReportedAsAlteredAtThatEvent) {
  tamper(set_payload_sql(), {std::int64_t{5}});  // B v2
  const auto report = verify();
  EXPECT_TRUE(FirstIs(report, Kind::altered, 5, kB, 2));
  EXPECT_EQ(report.problem_count, 1);
}

TEST_P(TamperEvidence, EditedMetadataIsReportedAsAltered) {
  tamper(kSetUser, {std::int64_t{4}});  // C v1
  EXPECT_TRUE(FirstIs(verify(), Kind::altered, 4, kC, 1));
}

TEST_P(TamperEvidence, DeletedMiddleEventIsReportedAsRemoved) {
  tamper(kDeleteEvent, {std::int64_t{3}});  // A v2 of 4
  const auto report = verify();
  // Named by the event after the gap: version 2 is missing before position 6 (A v3).
  EXPECT_TRUE(FirstIs(report, Kind::removed, 6, kA, 2)) << report.problems.size();
}

TEST_P(TamperEvidence, DeletedLastEventIsReportedAsRemoved) {
  tamper(kDeleteEvent, {std::int64_t{8}});  // C v2, the last event of C and of the log
  const auto report = verify();
  // The stream row still says version 2; the last event left is C v1 at position 4.
  EXPECT_TRUE(FirstIs(report, Kind::removed, 4, kC, 2));
}

TEST_P(TamperEvidence, DeletedLastEventOfTheSealedLogIsReportedBySealToo) {
  store::seal_log(*store_);
  tamper(kDeleteEvent, {std::int64_t{8}});
  tamper("UPDATE streams SET version = 1 WHERE stream_id = 'project-c'", {});
  const auto report = verify();
  ASSERT_FALSE(report.intact());
  EXPECT_EQ(report.first->kind, Kind::removed);
  EXPECT_EQ(report.first->position, 8);  // the log ends at 7 but was sealed up to 8
}

TEST_P(TamperEvidence, DeletedWholeSealedStreamIsReportedBySeal) {
  store::seal_log(*store_, {}, 4);  // seals at 4 and 8
  tamper(kDeleteStreamEvents, {kB});
  store_->transact(Access::read_write, [&](Transaction& tx) {
    const SqlValue id{kB};
    tx.execute(kDeleteStream, std::span(&id, 1));
    return Verdict::commit;
  });
  const auto report = verify();
  // No chain is broken; the seal at 4 covers B v1 (position 2).
  EXPECT_TRUE(FirstIs(report, Kind::seal_mismatch, 4, "", 0));
  // Each seal is checked relative to the one before it: B's two events fall in two ranges.
  EXPECT_EQ(report.problem_count, 2);
}

TEST_P(TamperEvidence, SwappedStreamVersionsAreReportedAsReordered) {
  // A v1 (position 1) and A v2 (position 3) trade versions.
  tamper(kSetVersion, {std::int64_t{1}, std::int64_t{100}});
  tamper(kSetVersion, {std::int64_t{3}, std::int64_t{1}});
  tamper(kSetVersion, {std::int64_t{1}, std::int64_t{2}});
  const auto report = verify();
  EXPECT_TRUE(FirstIs(report, Kind::reordered, 1, kA, 2));
  EXPECT_TRUE(has_problem(report, Kind::altered));
}

TEST_P(TamperEvidence, SwappedPositionsAcrossStreamsAreReportedBySeal) {
  store::seal_log(*store_);
  // B v1 (position 2) and A v2 (position 3) trade positions: every chain still holds.
  tamper(kSetPosition, {std::int64_t{2}, std::int64_t{100}});
  tamper(kSetPosition, {std::int64_t{3}, std::int64_t{2}});
  tamper(kSetPosition, {std::int64_t{100}, std::int64_t{3}});
  const auto report = verify();
  EXPECT_TRUE(FirstIs(report, Kind::seal_mismatch, 8, "", 0));
}

TEST_P(TamperEvidence, SwappedPositionsInsideAStreamAreReportedAsReordered) {
  // A v2 (position 3) and A v3 (position 6) trade positions.
  tamper(kSetPosition, {std::int64_t{3}, std::int64_t{100}});
  tamper(kSetPosition, {std::int64_t{6}, std::int64_t{3}});
  tamper(kSetPosition, {std::int64_t{100}, std::int64_t{6}});
  EXPECT_TRUE(FirstIs(verify(), Kind::reordered, 3, kA, 3));
}

TEST_P(TamperEvidence, InsertedEventBeyondTheStreamVersionIsReported) {
  // A copy of B v2 (hash included) as B v3 at position 9; the stream row still says 2.
  tamper(kCopyEventAs, {std::int64_t{5}, std::int64_t{9}, std::int64_t{3}});
  const auto report = verify();
  EXPECT_TRUE(FirstIs(report, Kind::inserted, 9, kB, 3));
  EXPECT_TRUE(has_problem(report, Kind::altered));  // its copied hash does not chain either
}

TEST_P(TamperEvidence, InsertedEventWithTheStreamRowBumpedIsReported) {
  tamper(kCopyEventAs, {std::int64_t{5}, std::int64_t{9}, std::int64_t{3}});
  tamper("UPDATE streams SET version = 3 WHERE stream_id = 'project-b'", {});
  EXPECT_TRUE(FirstIs(verify(), Kind::altered, 9, kB, 3));
}

TEST_P(TamperEvidence, HashesRemovedFromTheStartOfTheLogBreakTheNextEventsChains) {
  // Making positions 1..4 look as if written before migration 0004 does not hide them:
  tamper(kForgetHashesUpTo, {std::int64_t{4}});
  const auto report = verify();
  EXPECT_EQ(report.events_not_covered, 4);
  // B v2 (position 5) was chained to B v1's real hash, not to the start of a chain.
  EXPECT_TRUE(FirstIs(report, Kind::altered, 5, kB, 2));
}

TEST_P(TamperEvidence, AppendsAfterUnhashedEventsChainFromTheStart) {
  // Every event so far "predates" hashing; later appends start new chains.
  tamper(kForgetHashesUpTo, {std::int64_t{8}});
  ASSERT_TRUE(append(kA, ExpectedVersion::exactly(4), make_events(2, "a5")).ok());
  ASSERT_TRUE(append(kB, ExpectedVersion::exactly(2), make_events(1, "b3")).ok());
  store::seal_log(*store_);
  const auto report = verify();
  EXPECT_TRUE(report.intact()) << report.first->detail;
  EXPECT_EQ(report.events_not_covered, 8);
  EXPECT_EQ(report.events_checked, 11);
}

TEST_P(TamperEvidence, RemovedHashAfterHashingBeganIsReported) {
  tamper(kForgetHash, {std::int64_t{8}});  // C v2, the last event: no chain after it
  const auto report = verify();
  EXPECT_TRUE(FirstIs(report, Kind::inserted, 8, "", 0));
}

TEST_P(TamperEvidence, TamperedSealIsReported) {
  store::seal_log(*store_, {}, 4);
  tamper("UPDATE log_seals SET running_hash = '00' WHERE position = 4", {});
  EXPECT_TRUE(FirstIs(verify(), Kind::seal_mismatch, 4, "", 0));
}

TEST_P(TamperEvidence, ConcurrentSealersAgree) {
  std::vector<std::thread> sealers;
  for (int i = 0; i < 4; ++i) {
    sealers.emplace_back([&, i] { store::seal_log(*store_, {}, static_cast<std::size_t>(i + 1)); });
  }
  for (auto& t : sealers) t.join();
  const auto report = verify();
  EXPECT_TRUE(report.intact()) << report.first->detail;
  EXPECT_EQ(report.last_seal_position, 8);
}

// Waits (up to `patience`) until the last seal covers `position`; the last seal's position.
std::int64_t wait_for_seal(store::EventStore& store, std::int64_t position,
                           std::chrono::seconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::int64_t sealed = 0;
  while (sealed < position && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    store.transact(Access::read_only, [&](Transaction& tx) {
      const auto seal = store::last_seal(tx);
      sealed = seal ? seal->position : 0;
      return Verdict::commit;
    });
  }
  return sealed;
}

TEST_P(TamperEvidence, BackgroundSealerFollowsAppendsAndStops) {
  std::atomic<int> errors{0};
  {
    store::LogSealer sealer(*store_, std::chrono::milliseconds(10),
                            [&](const std::string&) { ++errors; });
    ASSERT_TRUE(append(kA, ExpectedVersion::exactly(4), make_events(1, "a5")).ok());
    EXPECT_EQ(wait_for_seal(*store_, 9, std::chrono::seconds(20)), 9);
  }  // the destructor stops the thread
  EXPECT_EQ(errors.load(), 0);
  const auto report = verify();
  EXPECT_TRUE(report.intact());
  EXPECT_EQ(report.events_after_last_seal, 0);
}

TEST_P(TamperEvidence, BackgroundSealerWakesOnThisProcesssCommitsNotOnlyAtItsPoll) {
  // A poll of a minute: only the commit can make it seal within the test's patience.
  store::LogSealer sealer(*store_, std::chrono::minutes(1), {});
  ASSERT_EQ(wait_for_seal(*store_, 8, std::chrono::seconds(20)), 8);  // its first pass
  ASSERT_TRUE(append(kA, ExpectedVersion::exactly(4), make_events(1, "a5")).ok());
  EXPECT_EQ(wait_for_seal(*store_, 9, std::chrono::seconds(10)), 9);
}

TEST_P(TamperEvidence, SealerBesideConcurrentWritersNeverSkipsAnEvent) {
  // On PostgreSQL positions commit out of order; a sealer that skipped a late-committing
  // event would seal a running hash without it, and verify would then find a mismatch.
  constexpr int kWriters = 6;
  constexpr int kAppends = 40;
  std::atomic<int> errors{0};
  {
    store::LogSealer sealer(*store_, std::chrono::milliseconds(1),
                            [&](const std::string&) { ++errors; });
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        const std::string stream = "project-writer" + std::to_string(w);
        for (int i = 0; i < kAppends; ++i) {
          const auto expected = i == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exactly(i);
          if (!store_->append(stream, expected, make_events(1, "w"), make_metadata()).ok()) {
            ++errors;
          }
        }
      });
    }
    for (auto& t : writers) t.join();
  }
  EXPECT_EQ(errors.load(), 0);
  store::seal_log(*store_);
  const auto report = verify(50);
  EXPECT_TRUE(report.intact()) << report.first->detail;
  EXPECT_EQ(report.log_events, 8 + kWriters * kAppends);
  EXPECT_GT(report.seals_checked, 1);
  EXPECT_EQ(report.events_after_last_seal, 0);
}

TEST_P(TamperEvidence, VerifyReadsInPagesOfAnySize) {
  for (std::size_t batch : {1u, 2u, 7u, 1000u}) {
    const auto report = verify(batch);
    EXPECT_TRUE(report.intact()) << batch;
    EXPECT_EQ(report.events_checked, 8) << batch;
    EXPECT_EQ(report.log_events, 8) << batch;
  }
}

TEST_P(TamperEvidence, RecordedHeadCatchesARewriteOfEveryLaterHashAndSeal) {
  store::seal_log(*store_);
  const auto before = verify();
  ASSERT_TRUE(before.intact());
  const store::LogAnchor recorded{before.head_position, before.head_running_hash};

  // An intruder who knows the scheme changes C v2 (position 8), recomputes its hash from
  // C v1's and reseals the log: every chain and seal is consistent again.
  tamper(set_payload_sql(), {std::int64_t{8}});
  std::string c1_hash;
  store_->transact(Access::read_only, [&](Transaction& tx) {
    c1_hash = std::get<std::string>(tx.query(kHashes, {}).at(3).at(1));  // position 4
    return Verdict::commit;
  });
  const RecordedEvent forged = store_->read_stream(kC).at(1);
  const std::string forged_hash = store::to_hex(
      store::chain_hash(store::from_hex(c1_hash), store::canonical_event_bytes(forged)));
  tamper("UPDATE events SET event_hash = $2 WHERE global_position = $1",
         {std::int64_t{8}, forged_hash});
  tamper("DELETE FROM log_seals", {});
  store::seal_log(*store_);
  EXPECT_TRUE(verify().intact()) << "the documented limit: a consistent rewrite passes";

  store::LogVerifyOptions options;
  options.anchor = recorded;
  const auto report = store::verify_log(*store_, options);
  EXPECT_TRUE(FirstIs(report, Kind::anchor_mismatch, 8, "", 0));

  options.anchor = store::LogAnchor{4, before.head_running_hash};  // wrong position
  EXPECT_FALSE(store::verify_log(*store_, options).intact());
  options.anchor = store::LogAnchor{9, before.head_running_hash};  // beyond the log
  EXPECT_TRUE(FirstIs(store::verify_log(*store_, options), Kind::anchor_mismatch, 9, "", 0));
}

TEST_P(TamperEvidence, RecordedHeadOfAnUnchangedLogMatchesAfterMoreAppends) {
  const auto before = verify();
  ASSERT_TRUE(append(kB, ExpectedVersion::exactly(2), make_events(2, "b3")).ok());
  store::LogVerifyOptions options;
  options.anchor = store::LogAnchor{before.head_position, before.head_running_hash};
  const auto report = store::verify_log(*store_, options);
  EXPECT_TRUE(report.intact()) << report.first->detail;
  EXPECT_EQ(report.head_position, 10);
}

// ---- any single change, found (RapidCheck) ------------------------------------------------

constexpr const char* kChangeField[] = {
    "UPDATE events SET event_type = event_type || 'x' WHERE global_position = $1",
    "UPDATE events SET schema_version = schema_version + 1 WHERE global_position = $1",
    "UPDATE events SET recorded_at = recorded_at || 'x' WHERE global_position = $1",
    "UPDATE events SET user_id = user_id || 'x' WHERE global_position = $1",
    "UPDATE events SET request_id = request_id || 'x' WHERE global_position = $1",
    "UPDATE events SET command_id = 'forged' WHERE global_position = $1",
};
constexpr const char* kGrowPayloadSqlite =
    "UPDATE events SET payload = zeroblob(length(payload) + 1) WHERE global_position = $1";
constexpr const char* kGrowPayloadPg =
    "UPDATE events SET payload = payload || decode('00', 'hex') WHERE global_position = $1";
constexpr const char* kMaxPosition = "SELECT MAX(global_position) FROM events";
constexpr const char* kDropCaseEvents = "DELETE FROM events WHERE stream_id LIKE $1";
constexpr const char* kDropCaseStreams = "DELETE FROM streams WHERE stream_id LIKE $1";

enum class Change { field, payload, remove, swap_versions, insert_copy };

TEST_P(TamperEvidence, AnySingleChangeToAnEventIsFoundInItsStream) {
  int run = 0;
  ASSERT_TRUE(check_cases("one changed event is found", 100, 30, [&] {
    const std::string prefix = "project-case" + std::to_string(++run) + "x";
    // Every run (shrinking included) removes its streams, so the next one starts intact.
    struct DropCase {
      store::EventStore& store;
      std::string pattern;
      ~DropCase() {
        store.transact(Access::read_write, [&](Transaction& tx) {
          const SqlValue like{pattern};
          tx.execute(kDropCaseEvents, std::span(&like, 1));
          tx.execute(kDropCaseStreams, std::span(&like, 1));
          return Verdict::commit;
        });
      }
    } drop{*store_, prefix + "%"};

    const int stream_count = *rc::gen::inRange(1, 4);
    std::vector<std::int64_t> versions(static_cast<std::size_t>(stream_count), 0);
    const int appends = *rc::gen::inRange(1, 9);
    for (int a = 0; a < appends; ++a) {
      const auto k = static_cast<std::size_t>(*rc::gen::inRange(0, stream_count));
      std::vector<events::NewEvent> batch;
      const int n = *rc::gen::inRange(1, 4);
      for (int i = 0; i < n; ++i) {
        batch.push_back(make_event("ProjectUpdated", *rc::gen::arbitrary<std::string>()));
      }
      const auto metadata = make_metadata(
          *rc::gen::element<std::string>("", "cmd-" + prefix + std::to_string(a)),
          // Text columns: printable (PostgreSQL text holds no NUL).
          *rc::gen::container<std::string>(rc::gen::inRange(' ', '~')), "req-" + std::to_string(a));
      const auto expected =
          versions[k] == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exactly(versions[k]);
      const auto result = append(prefix + std::to_string(k), expected, batch, metadata);
      RC_ASSERT(result.ok());
      versions[k] = result.stream_version;
    }
    RC_ASSERT(verify().intact());

    std::vector<RecordedEvent> written;
    for (int k = 0; k < stream_count; ++k) {
      for (auto& e : store_->read_stream(prefix + std::to_string(k))) written.push_back(e);
    }
    const RecordedEvent target =
        written[static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, written.size()))];
    const auto stream_length =
        versions[static_cast<std::size_t>(std::stoi(target.stream_id.substr(prefix.size())))];
    Change change = *rc::gen::element(Change::field, Change::payload, Change::remove,
                                      Change::swap_versions, Change::insert_copy);
    if (change == Change::swap_versions && stream_length < 2) change = Change::payload;
    const SqlValue at{target.global_position};
    switch (change) {
      case Change::field:
        tamper(kChangeField[*rc::gen::inRange<std::size_t>(0, std::size(kChangeField))], {at});
        break;
      case Change::payload:
        tamper(GetParam() == Backend::sqlite ? kGrowPayloadSqlite : kGrowPayloadPg, {at});
        break;
      case Change::remove:
        tamper(kDeleteEvent, {at});
        break;
      case Change::swap_versions: {
        const std::int64_t other_version =
            target.stream_version == stream_length ? 1 : target.stream_version + 1;
        std::int64_t other_position = 0;
        for (const auto& e : written) {
          if (e.stream_id == target.stream_id && e.stream_version == other_version) {
            other_position = e.global_position;
          }
        }
        tamper(kSetVersion, {at, std::int64_t{1000000}});
        tamper(kSetVersion, {other_position, target.stream_version});
        tamper(kSetVersion, {at, other_version});
        break;
      }
      case Change::insert_copy: {
        std::int64_t head = 0;
        store_->transact(Access::read_only, [&](Transaction& tx) {
          head = std::get<std::int64_t>(tx.query(kMaxPosition, {}).at(0).at(0));
          return Verdict::commit;
        });
        tamper(kCopyEventAs, {at, head + 1, stream_length + 1});
        break;
      }
    }
    const auto report = verify(static_cast<std::size_t>(*rc::gen::inRange(1, 6)));
    RC_ASSERT(!report.intact());
    RC_LOG() << "change " << static_cast<int>(change) << " at " << target.global_position
             << ", first: " << store::kind_name(report.first->kind) << " at "
             << report.first->position << " " << report.first->stream_id << ": "
             << report.first->detail << "\n";
    RC_ASSERT(report.first->stream_id == target.stream_id);
    if (change == Change::field || change == Change::payload) {
      RC_ASSERT(report.first->kind == Kind::altered);
      RC_ASSERT(report.first->position == target.global_position);
      RC_ASSERT(report.problem_count == 1);
    }
  }));
  EXPECT_TRUE(verify().intact());  // every run cleaned up after itself
}

INSTANTIATE_TEST_SUITE_P(Backends, TamperEvidence, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
