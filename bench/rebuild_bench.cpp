// Read-model rebuild throughput (projections/rebuild.h) on each backend: seeds a log of N
// events (default 1,000,000; first argument or FOLIO_REBUILD_BENCH_EVENTS) and times
// rebuild_read_models over it. A plain timed program (one long run is the measurement);
// see docs/benchmarks.md for the command and the last results.
//
// The log: resources and worker types, each created and then updated 9 times (10 events
// per stream, about 60-byte payloads), appended straight to the store many streams per
// transaction (seeding is not timed; the read models are not written by it, the rebuild
// builds them). Reported per backend: seed time, rebuild events/s, entities, and the
// rebuild's batch size (second argument or FOLIO_REBUILD_BENCH_BATCH, default 5000).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/bench_backends.h"
#include "events/field_value.h"
#include "events/payload_codec.h"
#include "projections/rebuild.h"

namespace {

using Clock = std::chrono::steady_clock;
using folio::events::EntityChanges;
using folio::events::NewEvent;

constexpr int kEventsPerStream = 10;
constexpr int kStreamsPerTransaction = 500;

std::int64_t arg_or_env(int argc, char** argv, int index, const char* env, std::int64_t fallback) {
  if (argc > index) return std::atoll(argv[index]);
  const std::string value = folio::bench::env_or_empty(env);
  return value.empty() ? fallback : std::atoll(value.c_str());
}

std::string uuid_of(std::int64_t n) {
  char text[40];
  std::snprintf(text, sizeof text, "0193a5c2-0000-7000-8000-%012lld", static_cast<long long>(n));
  return text;
}

std::vector<NewEvent> stream_events(std::int64_t n) {
  const bool resource = n % 2 == 0;
  EntityChanges created;
  if (resource) {
    created.fields = {{"name", "Resource " + std::to_string(n)}, {"resource_type", "labor"}};
  } else {
    created.fields = {{"type", "Worker type " + std::to_string(n)},
                      {"description", "Seeded for the rebuild benchmark"}};
  }
  std::vector<NewEvent> events;
  const std::string prefix = resource ? "Resource" : "WorkerType";
  events.push_back({prefix + "Created", 1, folio::events::encode_payload(created)});
  for (int v = 2; v <= kEventsPerStream; ++v) {
    EntityChanges updated;
    updated.fields = {{"description", "Revision " + std::to_string(v)}};
    events.push_back({prefix + "Updated", 1, folio::events::encode_payload(updated)});
  }
  return events;
}

void seed(folio::store::EventStore& store, std::int64_t events) {
  const std::int64_t streams = events / kEventsPerStream;
  for (std::int64_t first = 0; first < streams; first += kStreamsPerTransaction) {
    const std::int64_t last = std::min(streams, first + kStreamsPerTransaction);
    store.transact(folio::store::Access::read_write, [&](folio::store::Transaction& tx) {
      for (std::int64_t n = first; n < last; ++n) {
        const std::string type = n % 2 == 0 ? "resource" : "worker_type";
        tx.append(type + "-" + uuid_of(n), folio::store::ExpectedVersion::no_stream(),
                  stream_events(n), {"", "rebuild-bench", ""});
      }
      return folio::store::Verdict::commit;
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t events = arg_or_env(argc, argv, 1, "FOLIO_REBUILD_BENCH_EVENTS", 1'000'000);
  const std::int64_t batch = arg_or_env(argc, argv, 2, "FOLIO_REBUILD_BENCH_BATCH", 5000);
  auto backends = folio::bench::open_backends("folio_rebuild_bench");
  std::printf("%-11s %10s %9s %10s %9s %12s %10s\n", "backend", "events", "seed_s", "entities",
              "rebuild_s", "events/s", "batch");
  for (auto& backend : backends) {
    const auto seed_start = Clock::now();
    seed(*backend.store, events);
    const double seed_s = std::chrono::duration<double>(Clock::now() - seed_start).count();
    folio::projections::RebuildOptions options;
    options.batch_size = static_cast<std::size_t>(batch);
    const auto start = Clock::now();
    const auto result = folio::projections::rebuild_read_models(*backend.store, options);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%-11s %10lld %9.1f %10lld %9.1f %12.0f %10lld\n", backend.name.c_str(),
                static_cast<long long>(result.events), seed_s,
                static_cast<long long>(result.entities), seconds,
                static_cast<double>(result.events) / seconds, static_cast<long long>(batch));
    std::fflush(stdout);
    backend.store.reset();
    folio::bench::clean_up(backend);
  }
  return 0;
}
