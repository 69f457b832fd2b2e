// Fresh, empty databases for store tests, one per backend.
//
// SQLite: a file in a fresh temporary directory, removed with it.
// PostgreSQL: a uniquely named schema on the server named by FOLIO_TEST_PG_URL, selected
// through the URL's libpq `options` (search_path), dropped with CASCADE afterwards.
// (CREATE DATABASE is too slow with fsync on.)
//
// Destroy every EventStore / MigrationTarget opened on a TestDatabase before the
// TestDatabase itself.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "store/event_store.h"

namespace folio::testing {

enum class Backend { sqlite, postgres };

// "Sqlite" / "Postgres": the names of parameterised test instances. Tests whose name
// ends in /Postgres need FOLIO_TEST_PG_URL and carry the ctest label `pgtest`.
std::string backend_name(Backend backend);
void PrintTo(Backend backend, std::ostream* os);

// The PostgreSQL server for tests. Throws std::runtime_error with instructions when
// FOLIO_TEST_PG_URL is unset: PostgreSQL tests fail rather than skip.
std::string test_pg_url();

// PostgreSQL: waits (up to 4 s) until a backend other than its own runs a statement whose
// text contains `marker`, then ends that backend (pg_terminate_backend), as a crash or an
// administrator would. False when no such statement appeared. Make `marker` unique to the
// test (tests share the cluster).
bool terminate_backend_running(const std::string& url, const std::string& marker);

class TestDatabase {
 public:
  // A fresh, empty (unmigrated) database.
  static std::unique_ptr<TestDatabase> create(Backend backend);
  // A fresh database with every bundled migration applied.
  static std::unique_ptr<TestDatabase> create_migrated(Backend backend);

  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  Backend backend() const { return backend_; }
  // The URL for open_event_store / open_migration_target.
  const std::string& url() const { return url_; }
  // SQLite: the database file's path. PostgreSQL: the schema's name.
  const std::string& location() const { return location_; }
  // PostgreSQL only: a URL of the server without the search_path option (for
  // introspection connections that qualify names with the schema themselves).
  const std::string& server_url() const { return server_url_; }

  // Applies every pending bundled migration; returns their numbers.
  std::vector<int> migrate_up();
  // Opens another EventStore on this database (its own connections).
  std::unique_ptr<store::EventStore> open_store(const store::StoreOptions& options = {}) const;

 private:
  TestDatabase(Backend backend, std::string url, std::string location, std::string server_url,
               std::string temp_dir);

  Backend backend_;
  std::string url_;
  std::string location_;
  std::string server_url_;
  std::string temp_dir_;  // SQLite only
};

}  // namespace folio::testing
