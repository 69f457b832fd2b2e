// Update-command throughput in-process (no HTTP): the command handler's whole path per
// update (validation, loading the current state, authorization, rules, read-model write,
// append) on each backend, with 1 and 8 threads sharing one handler.
//
// Each thread owns kEntitiesPerThread resources and updates their description round-robin
// with the version it got back last, so every update succeeds. Compare with
// folio_append_bench (the raw append) from the same run: the difference is the domain's
// cost per command. Reported: items_per_second (updates/s) and p50_us / p99_us.
#include <benchmark/benchmark.h>

#include <barrier>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_backends.h"
#include "commands/command_handler.h"

namespace {

using Clock = std::chrono::steady_clock;
using folio::commands::CommandContext;
using folio::commands::CommandHandler;

constexpr int kEntitiesPerThread = 50;
constexpr int kThreadCounts[] = {1, 8};

struct Worker {
  std::vector<std::string> ids;
  std::vector<std::int64_t> versions;
  std::size_t next = 0;
  std::vector<std::int64_t> latencies_ns;
};

struct Context {
  CommandHandler* handler = nullptr;
  std::vector<Worker> workers;
  std::unique_ptr<std::barrier<>> samples_ready;
};

const CommandContext& system_context() {
  static const CommandContext context{folio::commands::Actor::system_actor(), "bench", ""};
  return context;
}

void create_entities(CommandHandler& handler, Worker& worker) {
  const auto& spec = folio::events::entity("resource");
  for (int i = 0; i < kEntitiesPerThread; ++i) {
    const auto outcome = handler.create(
        system_context(),
        {&spec, "", std::nullopt,
         {{"name", std::string("bench resource")}, {"resource_type", std::string("labor")}}});
    if (!outcome.ok()) throw std::runtime_error("cannot create a bench resource");
    worker.ids.push_back(outcome.entity.id);
    worker.versions.push_back(outcome.entity.version);
  }
}

void BM_Update(benchmark::State& state, Context* ctx) {
  Worker& worker = ctx->workers[static_cast<std::size_t>(state.thread_index())];
  worker.latencies_ns.clear();
  try {
    if (worker.ids.empty()) create_entities(*ctx->handler, worker);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  const auto& spec = folio::events::entity("resource");
  std::int64_t counter = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom
    if (state.error_occurred()) break;
    const std::size_t k = worker.next;
    worker.next = (worker.next + 1) % worker.ids.size();
    const auto start = Clock::now();
    const auto outcome = ctx->handler->update(
        system_context(),
        {&spec, worker.ids[k], worker.versions[k],
         {{"description", "edit " + std::to_string(++counter)}}});
    const auto stop = Clock::now();
    if (!outcome.ok()) {
      state.SkipWithError("an update on an owned entity failed");
      break;
    }
    worker.versions[k] = outcome.entity.version;
    worker.latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(worker.latencies_ns.size()));
  ctx->samples_ready->arrive_and_wait();
  if (state.thread_index() == 0) {
    std::vector<std::int64_t> all;
    for (const Worker& w : ctx->workers) {
      all.insert(all.end(), w.latencies_ns.begin(), w.latencies_ns.end());
    }
    state.counters["p50_us"] = folio::bench::percentile_us(all, 0.50);
    state.counters["p99_us"] = folio::bench::percentile_us(all, 0.99);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::vector<folio::bench::Backend> backends;
  try {
    backends = folio::bench::open_backends("command_bench");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "command_bench: setup failed: %s\n", e.what());
    return 1;
  }
  std::vector<std::unique_ptr<CommandHandler>> handlers;
  std::vector<std::unique_ptr<Context>> contexts;
  for (auto& backend : backends) {
    handlers.push_back(std::make_unique<CommandHandler>(*backend.store));
    for (const int threads : kThreadCounts) {
      auto ctx = std::make_unique<Context>();
      ctx->handler = handlers.back().get();
      ctx->workers.resize(static_cast<std::size_t>(threads));
      ctx->samples_ready = std::make_unique<std::barrier<>>(threads);
      benchmark::RegisterBenchmark(("update_command/" + backend.name).c_str(), BM_Update,
                                   ctx.get())
          ->Threads(threads)
          ->UseRealTime()
          ->MinTime(2.5)
          ->Unit(benchmark::kMicrosecond);
      contexts.push_back(std::move(ctx));
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  contexts.clear();
  handlers.clear();
  for (auto& backend : backends) folio::bench::clean_up(backend);
  return 0;
}
