// Prometheus metrics: requests by route and status, a latency histogram, version conflicts
// by entity type (how often planners collide), projection lag and the store's own figures.
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "store/event_store.h"

namespace folio::http {

class EventStreamHub;

class Metrics {
 public:
  // Every entity type's conflict counter starts at 0, so that rate() sees it from the start.
  Metrics();

  void record_request(const std::string& method, const std::string& route, unsigned status,
                      std::chrono::microseconds duration);
  void record_conflict(const std::string& entity_type);
  void record_overload() { overloads_.fetch_add(1, std::memory_order_relaxed); }
  // A request an event loop began without waiting and then handed to the usual, blocking
  // way (router.h, handle_request_without_blocking: PipedOutcome::Kind::run_again).
  void record_run_again() { runs_again_.fetch_add(1, std::memory_order_relaxed); }
  // A connection waiting for a request closed to make room for a new one (server.h).
  void record_eviction() { evictions_.fetch_add(1, std::memory_order_relaxed); }
  // The server's counters, read at every render: requests in flight, open connections.
  void set_server_gauges(const std::atomic<int>* in_flight, const std::atomic<int>* connections) {
    in_flight_ = in_flight;
    connections_ = connections;
  }

  // The server's live event streams (event_stream.h), read at every render.
  void set_event_streams(const EventStreamHub* hub) { event_streams_ = hub; }

  // The lag of an asynchronous view (projections/catch_up_worker.h), read at every render.
  struct ProjectionLag {
    std::int64_t events = 0;           // head position minus the view's checkpoint
    double seconds = 0;                // 0 when caught up, else since it last was
    double seconds_since_applied = 0;  // since the view last applied a batch
  };
  // Call before the server starts; `lag` must stay callable while the metrics render.
  void add_projection(const std::string& view, std::function<ProjectionLag()> lag);

  // A gauge of this process read at every render (`read` must stay callable while the
  // metrics render). Call before the server starts.
  void add_gauge(std::string name, std::string help, std::function<double()> read);

  // The store's own figures (EventStore::statistics), read at every render. `store` must
  // outlive the metrics' renders.
  void add_store(const store::EventStore& store) { store_ = &store; }

  // The text exposition format, version 0.0.4.
  std::string render() const;

 private:
  // A route's latencies, in the shape (and buckets) of the store's unit timings, so that the
  // two compare and one writer renders both.
  using Histogram = store::EventStore::UnitTimings;
  mutable std::mutex mutex_;
  // (method, route, status) keys, compared as views so that a lookup needs no strings (and
  // compiles with every standard library: std::less<> over tuples of different types does
  // not with clang 14 and libstdc++ 12).
  struct RequestKeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return view(a) < view(b);
    }
    template <class Key>
    static std::tuple<std::string_view, std::string_view, unsigned> view(const Key& key) {
      return {std::get<0>(key), std::get<1>(key), std::get<2>(key)};
    }
  };
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t, RequestKeyLess> requests_;
  std::map<std::string, Histogram, std::less<>> latency_by_route_;
  std::map<std::string, std::uint64_t> conflicts_;
  std::atomic<std::uint64_t> overloads_{0};
  std::atomic<std::uint64_t> runs_again_{0};
  std::atomic<std::uint64_t> evictions_{0};
  const std::atomic<int>* in_flight_ = nullptr;
  const std::atomic<int>* connections_ = nullptr;
  const EventStreamHub* event_streams_ = nullptr;
  std::map<std::string, std::function<ProjectionLag()>> projections_;
  struct Gauge {
    std::string name, help;
    std::function<double()> read;
  };
  std::vector<Gauge> gauges_;
  const store::EventStore* store_ = nullptr;
};

}  // namespace folio::http
