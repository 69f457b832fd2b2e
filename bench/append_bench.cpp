// Append throughput of the event store, per backend and writer count.
//
// Every writer thread owns its own streams (kStreamsPerWriter of them) and appends one
// ~200-byte event at a time round-robin over them with ExpectedVersion::exactly(current),
// tracking each stream's version itself: the optimistic-update path of a command, where
// every append succeeds. All writers share ONE EventStore opened with 8 connections.
//
// Reported per benchmark: items_per_second (events/s over all writers, wall clock) and the
// p50_us / p99_us / max_us latency of one append as seen by its caller (steady_clock around
// EventStore::append, so it includes queueing for the SQLite writer or a pooled
// PostgreSQL connection).
//
// Backends:
//   sqlite      a fresh database file in a temporary directory under $FOLIO_BENCH_DB_DIR,
//               else $TMPDIR, else /tmp; removed at exit.
//   postgresql  the URL in FOLIO_BENCH_PG_URL, else FOLIO_TEST_PG_URL, in a fresh schema
//               (CREATE SCHEMA, then selected with the URL's options=-csearch_path=...),
//               migrated up, dropped at exit. Without a URL only SQLite is measured.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/event_store.h"
#include "store/migrator.h"
#include "bench/bench_backends.h"

namespace {

using folio::bench::Backend;
using folio::bench::clean_up;
using folio::bench::env_or_empty;
using folio::bench::open_backends;
using folio::bench::percentile_us;
using folio::store::EventStore;
using folio::store::ExpectedVersion;
using Clock = std::chrono::steady_clock;

constexpr int kStreamsPerWriter = 100;
constexpr std::size_t kPayloadBytes = 200;
constexpr int kWriterCounts[] = {1, 8};
constexpr double kMinTimeSeconds = 2.5;
constexpr double kWarmUpSeconds = 0.3;

// One writer thread's streams and their current versions. Lives across the several runs
// Google Benchmark makes of one benchmark (it grows the iteration count between runs), so
// streams are created once and keep their versions.
struct Writer {
  std::vector<std::string> stream_ids;
  std::vector<std::int64_t> versions;
  std::size_t next = 0;
  std::vector<std::int64_t> latencies_ns;  // of the current run
};

// Everything one registered benchmark (backend x writer count) shares between its threads.
struct BenchContext {
  EventStore* store = nullptr;
  std::vector<Writer> writers;
  std::unique_ptr<std::barrier<>> samples_ready;  // writers' samples are in `writers`
};

std::string random_payload(std::size_t bytes) {
  std::mt19937 rng(42);
  std::string payload(bytes, '\0');
  for (char& c : payload) c = static_cast<char>(rng() & 0xff);  // NUL bytes included
  return payload;
}

const folio::store::NewEvent& bench_event() {
  static const folio::store::NewEvent event{"BenchItemUpdated", 1, random_payload(kPayloadBytes)};
  return event;
}

const folio::store::EventMetadata& bench_metadata() {
  // No command id: the plain (non-idempotent) append path.
  static const folio::store::EventMetadata metadata{"bench-user", "bench-request", ""};
  return metadata;
}

// Creates the writer's streams (version 1 each) in one unit of work, outside the timing.
void create_streams(EventStore& store, const std::string& prefix, Writer& writer) {
  writer.stream_ids.clear();
  for (int k = 0; k < kStreamsPerWriter; ++k) {
    writer.stream_ids.push_back(prefix + "s" + std::to_string(k));
  }
  const folio::store::NewEvent events[] = {bench_event()};
  store.transact(folio::store::Access::read_write, [&](folio::store::Transaction& tx) {
    for (const auto& id : writer.stream_ids) {
      const auto result = tx.append(id, ExpectedVersion::no_stream(), events, bench_metadata());
      if (result.status != folio::store::AppendResult::Status::appended) {
        throw std::runtime_error("stream " + id + " already exists");
      }
    }
    return folio::store::Verdict::commit;
  });
  writer.versions.assign(writer.stream_ids.size(), 1);
  writer.next = 0;
}

void BM_Append(benchmark::State& state, BenchContext* ctx) {
  Writer& writer = ctx->writers[static_cast<std::size_t>(state.thread_index())];
  writer.latencies_ns.clear();
  try {
    if (writer.stream_ids.empty()) {
      // Stream ids are "<entity_type>-<id>"; one set per writer count and thread.
      create_streams(*ctx->store,
                     "benchitem-w" + std::to_string(state.threads()) + "t" +
                         std::to_string(state.thread_index()),
                     writer);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  writer.latencies_ns.reserve(1 << 16);
  const folio::store::NewEvent events[] = {bench_event()};

  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom
    if (state.error_occurred()) break;
    const std::size_t k = writer.next;
    writer.next = (writer.next + 1) % writer.stream_ids.size();
    const auto start = Clock::now();
    folio::store::AppendResult result;
    try {
      result =
          ctx->store->append(writer.stream_ids[k], ExpectedVersion::exactly(writer.versions[k]),
                             events, bench_metadata());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
    const auto stop = Clock::now();
    if (result.status != folio::store::AppendResult::Status::appended ||
        result.stream_version != writer.versions[k] + 1) {
      state.SkipWithError("append did not succeed (version mismatch on an owned stream?)");
      break;
    }
    writer.versions[k] = result.stream_version;
    writer.latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
  }

  state.SetItemsProcessed(static_cast<std::int64_t>(writer.latencies_ns.size()));
  // Percentiles over every writer's samples: wait for all, then thread 0 reports them
  // (the other threads report nothing, and Google Benchmark sums counters over threads).
  ctx->samples_ready->arrive_and_wait();
  if (state.thread_index() == 0) {
    std::vector<std::int64_t> all;
    for (const Writer& w : ctx->writers) {
      all.insert(all.end(), w.latencies_ns.begin(), w.latencies_ns.end());
    }
    state.counters["p50_us"] = percentile_us(all, 0.50);
    state.counters["p99_us"] = percentile_us(all, 0.99);
    state.counters["max_us"] = percentile_us(all, 1.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  std::vector<Backend> backends;
  try {
    backends = open_backends("append_bench");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "append_bench: setup failed: %s\n", e.what());
    return 1;
  }

  std::vector<std::unique_ptr<BenchContext>> contexts;
  for (Backend& backend : backends) {
    for (const int writers : kWriterCounts) {
      auto ctx = std::make_unique<BenchContext>();
      ctx->store = backend.store.get();
      ctx->writers.resize(static_cast<std::size_t>(writers));
      ctx->samples_ready = std::make_unique<std::barrier<>>(writers);
      benchmark::RegisterBenchmark(("append/" + backend.name).c_str(), BM_Append, ctx.get())
          ->Threads(writers)
          ->UseRealTime()
          ->MinTime(kMinTimeSeconds)
          ->MinWarmUpTime(kWarmUpSeconds)
          ->Unit(benchmark::kMicrosecond);
      contexts.push_back(std::move(ctx));
    }
  }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  contexts.clear();
  for (auto& backend : backends) clean_up(backend);
  return 0;
}
