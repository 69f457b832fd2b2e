#include "bench/bench_backends.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <stdexcept>

#include "store/migrator.h"

namespace folio::bench {

using store::EventStore;

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

double percentile_us(std::vector<std::int64_t>& samples_ns, double p) {
  if (samples_ns.empty()) return 0;
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(samples_ns.size() - 1));
  std::nth_element(samples_ns.begin(), samples_ns.begin() + static_cast<std::ptrdiff_t>(rank),
                   samples_ns.end());
  return static_cast<double>(samples_ns[rank]) / 1000.0;
}

namespace {

// A backend's store, with whatever must be cleaned up after the run.

void migrate(const std::string& url) {
  auto target = folio::store::open_migration_target(url);
  folio::store::Migrator(*target).up();
}

folio::store::StoreOptions store_options() {
  folio::store::StoreOptions options;
  options.connections = 8;
  return options;
}

Backend open_sqlite(const char* tool) {
  std::string parent = env_or_empty("FOLIO_BENCH_DB_DIR");
  if (parent.empty()) parent = env_or_empty("TMPDIR");
  if (parent.empty()) parent = "/tmp";
  std::string pattern = parent + "/folio-bench.XXXXXX";
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed under " + parent);
  Backend backend;
  backend.name = "sqlite";
  backend.cleanup_dir = pattern;
  const std::string url = "sqlite://" + (backend.cleanup_dir / "bench.db").string();
  migrate(url);
  backend.url = url;
  backend.store = folio::store::open_event_store(url, store_options());
  std::fprintf(stderr, "%s: sqlite database %s\n", tool, url.c_str());
  return backend;
}

Backend open_postgres(const std::string& base_url, const char* tool) {
  const std::string schema =
      "folio_bench_" + std::to_string(::getpid()) + "_" +
      std::to_string(std::chrono::system_clock::now().time_since_epoch() / std::chrono::seconds(1));
  {
    pqxx::connection connection(base_url);
    pqxx::nontransaction tx(connection);
    tx.exec0("CREATE SCHEMA " + tx.quote_name(schema));
  }
  Backend backend;
  backend.name = "postgresql";
  backend.cleanup_pg_url = base_url;
  backend.cleanup_pg_schema = schema;
  const char separator = base_url.find('?') == std::string::npos ? '?' : '&';
  const std::string url = base_url + separator + "options=-csearch_path%3D" + schema;
  migrate(url);
  backend.url = url;
  backend.store = folio::store::open_event_store(url, store_options());
  std::fprintf(stderr, "%s: postgresql schema %s\n", tool, schema.c_str());
  return backend;
}

}  // namespace

void clean_up(Backend& backend) {
  backend.store.reset();
  try {
    if (!backend.cleanup_pg_schema.empty()) {
      pqxx::connection connection(backend.cleanup_pg_url);
      pqxx::nontransaction tx(connection);
      tx.exec0("DROP SCHEMA " + tx.quote_name(backend.cleanup_pg_schema) + " CASCADE");
    }
    if (!backend.cleanup_dir.empty()) std::filesystem::remove_all(backend.cleanup_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench: cleanup of %s failed: %s\n", backend.name.c_str(), e.what());
  }
}


std::vector<Backend> open_backends(const char* tool) {
  std::vector<Backend> backends;
  try {
    backends.push_back(open_sqlite(tool));
    std::string pg_url = env_or_empty("FOLIO_BENCH_PG_URL");
    if (pg_url.empty()) pg_url = env_or_empty("FOLIO_TEST_PG_URL");
    if (pg_url.empty()) {
      std::fprintf(stderr,
                   "%s: note: neither FOLIO_BENCH_PG_URL nor FOLIO_TEST_PG_URL is set; "
                   "measuring SQLite only\n",
                   tool);
    } else {
      backends.push_back(open_postgres(pg_url, tool));
    }
  } catch (...) {
    for (auto& backend : backends) clean_up(backend);
    throw;
  }
  return backends;
}

}  // namespace folio::bench
