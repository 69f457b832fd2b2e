// Concurrent appends from several EventStore instances (several processes, as far as the
// database can tell): optimistic concurrency never loses or doubles an append, and a
// reader following the global log never skips an event.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/event_store.h"
#include "tests/support/thread_failures.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using events::RecordedEvent;
using store::AppendResult;
using store::ExpectedVersion;
using Status = AppendResult::Status;
using Clock = std::chrono::steady_clock;

// Each thread opens its own store: its own connections, as another process would.
store::StoreOptions one_connection() {
  store::StoreOptions options;
  options.connections = 1;
  return options;
}


class EventStoreConcurrency : public StoreTest {};

TEST_P(EventStoreConcurrency, ContendedStreamGetsEveryVersionExactlyOnce) {
  constexpr int kThreads = 8;
  constexpr int kSuccessesPerThread = 25;
  constexpr int kMaxAttemptsPerThread = 20'000;
  const std::string stream = "project-contended";

  std::vector<std::unique_ptr<store::EventStore>> stores;
  for (int t = 0; t < kThreads; ++t) stores.push_back(db_->open_store(one_connection()));

  struct Win {
    int thread;
    int seq;
    AppendResult result;
  };
  std::vector<std::vector<Win>> wins(kThreads);
  Failures failures;
  std::atomic<int> mismatches{0};
  std::atomic<bool> go{false};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      auto& store = *stores[t];
      int attempts = 0;
      try {
        while (static_cast<int>(wins[t].size()) < kSuccessesPerThread) {
          if (++attempts > kMaxAttemptsPerThread) {
            failures.add("thread " + std::to_string(t) + " gave up after " +
                         std::to_string(attempts) + " attempts");
            return;
          }
          const std::int64_t seen = store.stream_version(stream);
          const auto expected =
              seen == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exactly(seen);
          const int seq = static_cast<int>(wins[t].size());
          const std::string payload = "t" + std::to_string(t) + "/" + std::to_string(seq);
          const std::vector<events::NewEvent> batch{make_event("Counted", payload)};
          const auto r = store.append(stream, expected, batch, make_metadata());
          if (r.status == Status::appended) {
            if (r.stream_version != seen + 1) {
              failures.add("append expecting " + std::to_string(seen) + " reported version " +
                           std::to_string(r.stream_version));
            }
            wins[t].push_back({t, seq, r});
          } else if (r.status == Status::version_mismatch) {
            ++mismatches;
            if (r.stream_version <= seen) {
              failures.add("mismatch expecting " + std::to_string(seen) +
                           " reported actual version " + std::to_string(r.stream_version) +
                           " (versions never go back)");
            }
          } else {
            failures.add("unexpected duplicate without a command id");
          }
        }
      } catch (const std::exception& e) {
        failures.add("thread " + std::to_string(t) + " threw: " + e.what());
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  for (const auto& f : failures.get()) ADD_FAILURE() << f;
  ASSERT_TRUE(failures.get().empty());

  // No two appends reported winning the same version, and together they cover 1..end.
  std::map<std::int64_t, Win> by_version;
  std::size_t total = 0;
  for (const auto& thread_wins : wins) {
    for (const auto& w : thread_wins) {
      ++total;
      const bool inserted = by_version.emplace(w.result.stream_version, w).second;
      EXPECT_TRUE(inserted) << "two appends reported winning version " << w.result.stream_version;
    }
  }
  const std::int64_t final_version = store_->stream_version(stream);
  EXPECT_EQ(total, static_cast<std::size_t>(kThreads * kSuccessesPerThread));
  EXPECT_EQ(final_version, static_cast<std::int64_t>(total));

  // Every version 1..end exists exactly once, holding the event of the append that
  // reported that version.
  const auto events = store_->read_stream(stream);
  ASSERT_EQ(events.size(), total);
  std::set<std::int64_t> positions;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    EXPECT_EQ(e.stream_version, static_cast<std::int64_t>(i + 1));
    positions.insert(e.global_position);
    const auto it = by_version.find(e.stream_version);
    ASSERT_NE(it, by_version.end()) << "version " << e.stream_version << " has no winner";
    const auto& w = it->second;
    EXPECT_EQ(e.payload, "t" + std::to_string(w.thread) + "/" + std::to_string(w.seq))
        << "version " << e.stream_version;
    EXPECT_EQ(e.global_position, w.result.first_position) << "version " << e.stream_version;
  }
  EXPECT_EQ(positions.size(), events.size()) << "two events share a global position";
  // The log holds exactly these events, nothing from the lost attempts.
  EXPECT_EQ(store_->read_all(0, 100'000).size(), total);
  // With 8 writers on one stream, conflicts must actually have happened; otherwise this
  // test exercised nothing.
  EXPECT_GT(mismatches.load(), 0);
}

// One store shared by many threads (the server's case; SQLite batches their units of work
// into shared transactions): each unit of work commits, rolls back or throws on its own.
TEST_P(EventStoreConcurrency, SharedStoreKeepsEachUnitOfWorkSeparate) {
  constexpr int kThreads = 8;
  constexpr int kCommitsPerThread = 25;
  constexpr int kMaxAttemptsPerThread = 20'000;
  const std::string stream = "project-shared";
  store::EventStore& store = *store_;

  std::vector<std::vector<AppendResult>> commits(kThreads);
  Failures failures;
  std::atomic<bool> go{false};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      try {
        for (int attempt = 0; static_cast<int>(commits[t].size()) < kCommitsPerThread; ++attempt) {
          if (attempt > kMaxAttemptsPerThread) {
            failures.add("thread " + std::to_string(t) + " gave up");
            return;
          }
          // Every third unit of work is abandoned: rolled back or thrown out of.
          const int mode = attempt % 6 == 2 ? 1 : attempt % 6 == 5 ? 2 : 0;
          const std::string payload = (mode == 0   ? "keep t"
                                       : mode == 1 ? "rollback t"
                                                   : "throw t") +
                                      std::to_string(t) + "/" + std::to_string(attempt);
          AppendResult r;
          try {
            store.transact(store::Access::read_write, [&](store::Transaction& tx) {
              const std::int64_t seen = tx.stream_version(stream);
              const auto expected =
                  seen == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exactly(seen);
              const std::vector<events::NewEvent> batch{make_event("Counted", payload)};
              r = tx.append(stream, expected, batch, make_metadata());
              if (mode == 2 && r.ok()) throw WorkFailed("abandoned");
              return mode == 1 ? store::Verdict::rollback : store::Verdict::commit;
            });
          } catch (const WorkFailed&) {
            continue;  // thrown out of: nothing may remain of it
          }
          if (mode == 1) {
            continue;  // rolled back: nothing may remain of it
          }
          if (r.status == Status::appended) {
            commits[t].push_back(r);
          } else if (r.status != Status::version_mismatch) {
            failures.add("unexpected duplicate without a command id");
          }
        }
      } catch (const std::exception& e) {
        failures.add("thread " + std::to_string(t) + " threw: " + e.what());
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  for (const auto& f : failures.get()) ADD_FAILURE() << f;
  ASSERT_TRUE(failures.get().empty());

  std::set<std::int64_t> versions;
  for (const auto& thread_commits : commits) {
    for (const auto& r : thread_commits) {
      EXPECT_TRUE(versions.insert(r.stream_version).second)
          << "two commits reported version " << r.stream_version;
    }
  }
  const std::size_t total = static_cast<std::size_t>(kThreads) * kCommitsPerThread;
  EXPECT_EQ(versions.size(), total);
  EXPECT_EQ(store.stream_version(stream), static_cast<std::int64_t>(total));
  const auto events = store.read_stream(stream);
  ASSERT_EQ(events.size(), total);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].stream_version, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(events[i].payload.rfind("keep ", 0), 0u)
        << "version " << i + 1 << " holds an abandoned unit of work: " << events[i].payload;
  }
  EXPECT_EQ(store.read_all(0, 100'000).size(), total);
}

TEST_P(EventStoreConcurrency, ReaderFollowingTheLogSeesEveryEventOnceInOrder) {
  constexpr int kWriters = 4;
  constexpr int kStreamsPerWriter = 8;
  constexpr int kAppendsPerWriter = 60;
  constexpr std::size_t kPageSize = 7;
  const auto kDeadline = std::chrono::seconds(120);

  struct Written {
    std::string stream_id;
    std::int64_t stream_version;
    std::string payload;
  };
  // What the writers were told: position -> event.
  std::vector<std::map<std::int64_t, Written>> written(kWriters);
  std::atomic<std::size_t> events_written{0};
  std::atomic<int> writers_done{0};
  Failures failures;

  std::vector<std::unique_ptr<store::EventStore>> writer_stores;
  for (int w = 0; w < kWriters; ++w) writer_stores.push_back(db_->open_store(one_connection()));
  auto reader_store = db_->open_store(one_connection());

  std::vector<RecordedEvent> seen;
  std::thread reader([&] {
    std::int64_t after = 0;
    const auto start = Clock::now();
    std::optional<Clock::time_point> caught_up_since;
    try {
      while (Clock::now() - start < kDeadline) {
        const bool writers_finished = writers_done.load() == kWriters;
        const std::size_t target = events_written.load();
        const auto page = reader_store->read_all(after, kPageSize);
        if (page.size() > kPageSize) failures.add("read_all returned more than its limit");
        for (const auto& e : page) {
          if (e.global_position <= after) {
            failures.add("position " + std::to_string(e.global_position) + " after " +
                         std::to_string(after) + ": not strictly increasing");
          }
          after = e.global_position;
          seen.push_back(e);
        }
        if (page.empty() && writers_finished) {
          // Done once every event is seen. An event the reader skipped never shows up
          // again (it lies behind `after`): give up 5 s after the writers finished.
          if (seen.size() >= target) return;
          if (!caught_up_since) caught_up_since = Clock::now();
          if (Clock::now() - *caught_up_since > std::chrono::seconds(5)) break;
        }
        if (page.empty()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      failures.add("reader stopped having seen " + std::to_string(seen.size()) + " of " +
                   std::to_string(events_written.load()) + " events");
    } catch (const std::exception& e) {
      failures.add(std::string("reader threw: ") + e.what());
    }
  });

  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto& store = *writer_stores[w];
      std::vector<std::int64_t> versions(kStreamsPerWriter, 0);
      try {
        for (int i = 0; i < kAppendsPerWriter; ++i) {
          const int s = i % kStreamsPerWriter;
          const std::string stream = "item-w" + std::to_string(w) + "s" + std::to_string(s);
          const int count = 1 + i % 2;  // alternate one- and two-event appends
          std::vector<events::NewEvent> batch;
          for (int k = 0; k < count; ++k) {
            batch.push_back(make_event(
                "ItemChanged",
                "w" + std::to_string(w) + "/" + std::to_string(i) + "/" + std::to_string(k)));
          }
          const auto expected = versions[s] == 0 ? ExpectedVersion::no_stream()
                                                 : ExpectedVersion::exactly(versions[s]);
          const auto r = store.append(stream, expected, batch, make_metadata());
          if (r.status != Status::appended) {
            failures.add("writer " + std::to_string(w) + " append " + std::to_string(i) +
                         " on its own stream did not succeed");
            break;
          }
          // Record each event at the position reported for it: the first event at
          // first_position, the last at last_position.
          if (count == 1 && r.first_position != r.last_position) {
            failures.add("a one-event append reported two positions");
          }
          written[w][r.first_position] = {stream, versions[s] + 1, batch.front().payload};
          written[w][r.last_position] = {stream, versions[s] + count, batch.back().payload};
          versions[s] = r.stream_version;
          events_written += count;
        }
      } catch (const std::exception& e) {
        failures.add("writer " + std::to_string(w) + " threw: " + e.what());
      }
      ++writers_done;
    });
  }
  for (auto& th : writers) th.join();
  reader.join();
  for (const auto& f : failures.get()) ADD_FAILURE() << f;

  std::map<std::int64_t, Written> all_written;
  for (const auto& m : written) all_written.insert(m.begin(), m.end());
  ASSERT_EQ(all_written.size(), events_written.load()) << "two appends reported one position";

  // The reader saw every event exactly once, in strictly increasing position order, and
  // each is what the writer reported at that position.
  std::set<std::int64_t> seen_positions;
  for (const auto& e : seen) {
    EXPECT_TRUE(seen_positions.insert(e.global_position).second)
        << "position " << e.global_position << " seen twice";
    const auto it = all_written.find(e.global_position);
    if (it == all_written.end()) {
      ADD_FAILURE() << "reader saw position " << e.global_position << " nobody wrote";
      continue;
    }
    EXPECT_EQ(e.stream_id, it->second.stream_id);
    EXPECT_EQ(e.stream_version, it->second.stream_version);
    EXPECT_EQ(e.payload, it->second.payload);
  }
  std::vector<std::int64_t> missed;
  for (const auto& [position, w] : all_written) {
    if (!seen_positions.count(position)) missed.push_back(position);
  }
  EXPECT_TRUE(missed.empty()) << "the reader skipped " << missed.size()
                              << " events, the first at position "
                              << (missed.empty() ? 0 : missed.front());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kWriters) * kAppendsPerWriter * 3 / 2);
  // The whole log, read afterwards, is what the reader saw.
  EXPECT_TRUE(SameEvents(store_->read_all(0, 100'000), seen));
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreConcurrency, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
