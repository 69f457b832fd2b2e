#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "store/migrator.h"

namespace folio::testing {

namespace {

std::atomic<int> counter{0};

std::string make_temp_dir() {
  const auto pattern = (std::filesystem::temp_directory_path() / "folio-test.XXXXXX").string();
  std::string buffer = pattern;
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory from " + pattern);
  }
  return buffer;
}

}  // namespace

std::string backend_name(Backend backend) {
  return backend == Backend::sqlite ? "Sqlite" : "Postgres";
}

void PrintTo(Backend backend, std::ostream* os) { *os << backend_name(backend); }

bool terminate_backend_running(const std::string& url, const std::string& marker) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  const std::string pattern = "%" + marker + "%";
  for (int i = 0; i < 200; ++i) {
    if (tx.exec_params1("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE query LIKE $1 AND pid <> pg_backend_pid()",
                        pattern)[0]
            .as<int>() > 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string test_pg_url() {
  const char* url = std::getenv("FOLIO_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "FOLIO_TEST_PG_URL is not set. PostgreSQL tests need a server: run "
        "scripts/test.sh, or start one with eval \"$(scripts/pg-cluster.sh start)\" "
        "(it exports FOLIO_TEST_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres). "
        "To run without PostgreSQL, exclude these tests: ctest -LE pgtest");
  }
  return url;
}

std::unique_ptr<TestDatabase> TestDatabase::create(Backend backend) {
  const int n = counter++;
  if (backend == Backend::sqlite) {
    std::string dir = make_temp_dir();
    std::string path = (std::filesystem::path(dir) / "folio.db").string();
    // An absolute path starts with '/', so this is sqlite:///abs/path.
    std::string url = "sqlite://" + path;
    return std::unique_ptr<TestDatabase>(
        new TestDatabase(backend, std::move(url), std::move(path), "", std::move(dir)));
  }
  std::string server = test_pg_url();
  std::string schema = "t_" + std::to_string(::getpid()) + "_" + std::to_string(n);
  {
    pqxx::connection conn(server);
    pqxx::work tx(conn);
    tx.exec0("CREATE SCHEMA " + tx.quote_name(schema));
    tx.commit();
  }
  const char separator = server.find('?') == std::string::npos ? '?' : '&';
  std::string url = server + separator + "options=-csearch_path%3D" + schema;
  return std::unique_ptr<TestDatabase>(
      new TestDatabase(backend, std::move(url), std::move(schema), std::move(server), ""));
}

std::unique_ptr<TestDatabase> TestDatabase::create_migrated(Backend backend) {
  auto db = create(backend);
  db->migrate_up();
  return db;
}

TestDatabase::TestDatabase(Backend backend, std::string url, std::string location,
                           std::string server_url, std::string temp_dir)
    : backend_(backend),
      url_(std::move(url)),
      location_(std::move(location)),
      server_url_(std::move(server_url)),
      temp_dir_(std::move(temp_dir)) {}

TestDatabase::~TestDatabase() {
  try {
    if (backend_ == Backend::sqlite) {
      std::filesystem::remove_all(temp_dir_);
    } else {
      pqxx::connection conn(server_url_);
      pqxx::work tx(conn);
      tx.exec0("DROP SCHEMA IF EXISTS " + tx.quote_name(location_) + " CASCADE");
      tx.commit();
    }
  } catch (const std::exception& e) {
    std::cerr << "warning: cannot remove test database " << location_ << ": " << e.what() << "\n";
  }
}

std::vector<int> TestDatabase::migrate_up() {
  auto target = store::open_migration_target(url_);
  return store::Migrator(*target).up();
}

std::unique_ptr<store::EventStore> TestDatabase::open_store(
    const store::StoreOptions& options) const {
  return store::open_event_store(url_, options);
}

}  // namespace folio::testing
