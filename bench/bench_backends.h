// Fresh, migrated databases for the benchmarks, one per backend.
//   sqlite      a new file in a temporary directory under $FOLIO_BENCH_DB_DIR, else $TMPDIR,
//               else /tmp; removed by clean_up().
//   postgresql  the URL in FOLIO_BENCH_PG_URL, else FOLIO_TEST_PG_URL, in a new schema
//               (CREATE SCHEMA, selected with the URL's options=-csearch_path=...), migrated
//               up, dropped by clean_up(). Without a URL only SQLite is measured.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/event_store.h"

namespace folio::bench {

struct Backend {
  std::string name;  // "sqlite" or "postgresql"
  std::string url;
  std::unique_ptr<store::EventStore> store;
  std::string cleanup_pg_url;
  std::string cleanup_pg_schema;
  std::filesystem::path cleanup_dir;
};

// Opens SQLite and, when a URL is configured, PostgreSQL; `tool` prefixes messages.
std::vector<Backend> open_backends(const char* tool);
void clean_up(Backend& backend);

std::string env_or_empty(const char* name);

// The p-th percentile (0..1) of `samples_ns`, in microseconds (reorders the samples).
double percentile_us(std::vector<std::int64_t>& samples_ns, double p);

}  // namespace folio::bench
