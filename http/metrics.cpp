#include "http/metrics.h"

#include <sstream>

#include "events/entity_catalog.h"
#include "http/event_stream.h"

namespace folio::http {

namespace {

// The sample lines of one histogram series (`labels`: its labels but `le`).
void write_histogram(std::ostream& out, std::string_view name, const std::string& labels,
                     const store::EventStore::UnitTimings& h) {
  for (std::size_t i = 0; i < h.at_most.size(); ++i) {
    out << name << "_bucket{" << labels << ",le=\"" << h.kBounds[i] << "\"} " << h.at_most[i]
        << "\n";
  }
  out << name << "_bucket{" << labels << ",le=\"+Inf\"} " << h.count << "\n"
      << name << "_sum{" << labels << "} " << h.seconds << "\n"
      << name << "_count{" << labels << "} " << h.count << "\n";
}

}  // namespace

Metrics::Metrics() {
  for (const auto& spec : events::all_entities()) conflicts_[std::string(spec.type)] = 0;
}

void Metrics::record_request(const std::string& method, const std::string& route, unsigned status,
                             std::chrono::microseconds duration) {
  const double seconds = static_cast<double>(duration.count()) / 1e6;
  std::lock_guard lock(mutex_);
  // Looked up by views first: after a route's first request, counting allocates nothing.
  const std::tuple<std::string_view, std::string_view, unsigned> key{method, route, status};
  auto counter = requests_.find(key);
  if (counter == requests_.end()) counter = requests_.emplace(key, 0).first;
  ++counter->second;
  auto histogram = latency_by_route_.find(std::string_view(route));
  if (histogram == latency_by_route_.end()) {
    histogram = latency_by_route_.emplace(route, Histogram{}).first;
  }
  Histogram& h = histogram->second;
  for (std::size_t i = 0; i < h.kBounds.size(); ++i) {
    if (seconds <= h.kBounds[i]) ++h.at_most[i];
  }
  ++h.count;
  h.seconds += seconds;
}

void Metrics::record_conflict(const std::string& entity_type) {
  std::lock_guard lock(mutex_);
  ++conflicts_[entity_type];
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

void Metrics::add_projection(const std::string& view, std::function<ProjectionLag()> lag) {
  std::lock_guard lock(mutex_);
  projections_[view] = std::move(lag);
}

std::string Metrics::render() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  out << "# HELP folio_http_requests_total HTTP requests by method, route and status.\n"
         "# TYPE folio_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out << "folio_http_requests_total{method=\"" << method << "\",route=\"" << route
        << "\",status=\"" << status << "\"} " << count << "\n";
  }
  out << "# HELP folio_http_request_duration_seconds Time from a complete request to its "
         "response.\n"
         "# TYPE folio_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_by_route_) {
    write_histogram(out, "folio_http_request_duration_seconds", "route=\"" + route + "\"", h);
  }
  out << "# HELP folio_version_conflicts_total Updates and deletes refused because another "
         "user changed the entity first.\n"
         "# TYPE folio_version_conflicts_total counter\n";
  for (const auto& [type, count] : conflicts_) {
    out << "folio_version_conflicts_total{entity_type=\"" << type << "\"} " << count << "\n";
  }
  out << "# HELP folio_http_overloaded_total Requests refused with 503 because the work queue "
         "was full.\n"
         "# TYPE folio_http_overloaded_total counter\n"
         "folio_http_overloaded_total "
      << overloads_.load() << "\n";
  out << "# HELP folio_http_requests_run_again_total Requests an event loop began without "
         "waiting for the store and then handed to a blocking worker (the rows moved under "
         "them, or their answer needs more reads).\n"
         "# TYPE folio_http_requests_run_again_total counter\n"
         "folio_http_requests_run_again_total "
      << runs_again_.load() << "\n";
  out << "# HELP folio_http_connections_evicted_total Connections waiting for a request that "
         "were closed to make room for new ones at the connection limit.\n"
         "# TYPE folio_http_connections_evicted_total counter\n"
         "folio_http_connections_evicted_total "
      << evictions_.load() << "\n";
  if (in_flight_) {
    out << "# HELP folio_http_in_flight Requests queued or being worked on.\n"
           "# TYPE folio_http_in_flight gauge\n"
           "folio_http_in_flight "
        << in_flight_->load() << "\n";
  }
  if (connections_) {
    out << "# HELP folio_http_connections_open HTTP connections open (idle keep-alive ones "
           "included).\n"
           "# TYPE folio_http_connections_open gauge\n"
           "folio_http_connections_open "
        << connections_->load() << "\n";
  }
  if (event_streams_) {
    out << "# HELP folio_event_streams_open Live event streams (Server-Sent Events) open.\n"
           "# TYPE folio_event_streams_open gauge\n"
           "folio_event_streams_open "
        << event_streams_->open_streams()
        << "\n# HELP folio_event_streams_dropped_total Live event streams closed because "
           "their client did not read fast enough.\n"
           "# TYPE folio_event_streams_dropped_total counter\n"
           "folio_event_streams_dropped_total "
        << event_streams_->dropped_streams() << "\n";
  }
  if (!projections_.empty()) {
    std::map<std::string, ProjectionLag> lags;
    for (const auto& [view, lag] : projections_) lags[view] = lag();
    out << "# HELP folio_projection_lag_events Events of the log an asynchronous view has not "
           "applied yet (head position minus its checkpoint).\n"
           "# TYPE folio_projection_lag_events gauge\n";
    for (const auto& [view, lag] : lags) {
      out << "folio_projection_lag_events{view=\"" << view << "\"} " << lag.events << "\n";
    }
    out << "# HELP folio_projection_lag_seconds 0 when the view is caught up, else seconds "
           "since it last was.\n"
           "# TYPE folio_projection_lag_seconds gauge\n";
    for (const auto& [view, lag] : lags) {
      out << "folio_projection_lag_seconds{view=\"" << view << "\"} " << lag.seconds << "\n";
    }
    out << "# HELP folio_projection_seconds_since_applied Seconds since the view last applied "
           "events.\n"
           "# TYPE folio_projection_seconds_since_applied gauge\n";
    for (const auto& [view, lag] : lags) {
      out << "folio_projection_seconds_since_applied{view=\"" << view << "\"} "
          << lag.seconds_since_applied << "\n";
    }
  }
  for (const auto& gauge : gauges_) {
    out << "# HELP " << gauge.name << " " << gauge.help << "\n# TYPE " << gauge.name << " gauge\n"
        << gauge.name << " " << gauge.read() << "\n";
  }
  if (store_) {
    out << "# HELP folio_store_unit_duration_seconds Units of work of the store by kind (read "
           "or write), from the call to the return: waits for a connection or a batch "
           "included.\n"
           "# TYPE folio_store_unit_duration_seconds histogram\n";
    for (const bool writes : {false, true}) {
      write_histogram(out, "folio_store_unit_duration_seconds",
                      writes ? "kind=\"write\"" : "kind=\"read\"", store_->unit_timings(writes));
    }
    for (const auto& statistic : store_->statistics()) {
      out << "# HELP " << statistic.name << " " << statistic.help << "\n# TYPE " << statistic.name
          << (statistic.counter ? " counter\n" : " gauge\n") << statistic.name << " "
          << statistic.value << "\n";
    }
  }
  return out.str();
}

}  // namespace folio::http
