// The backup drill of docs/operations.md, on each backend, taken while a writer keeps
// writing: `folio backup` (SQLite's online backup API) or pg_dump (PostgreSQL), restored,
// then `folio verify` and `folio verify --projections` must find the copy intact.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/commands/domain_support.h"
#include "tests/support/folio_process.h"

namespace folio::testing {
namespace {

// Runs a shell command; its exit status and what it printed (stdout and stderr).
std::pair<int, std::string> shell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

// Creates entities of several types, with their parents, until stopped: write load.
class Writer {
 public:
  explicit Writer(commands::CommandHandler& handler)
      : thread_([this, &handler] {
          World world(handler, 0xbac0u);
          SeededRandom random(7);
          const std::vector<std::string> types{"resource", "project", "worker_type",
                                               "resource_assignment"};
          for (std::size_t i = 0; !stop_; ++i) {
            world.create(random, types[i % types.size()]);
            ++writes_;
          }
        }) {}
  ~Writer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long writes() const { return writes_; }
  // Waits until at least `n` more writes are done.
  void wait_for(long n) const {
    const long target = writes_ + n;
    while (writes_ < target) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> writes_{0};
  std::thread thread_;
};

void expect_intact(const std::string& url) {
  const CliResult log = run_folio(url, {"verify"});
  EXPECT_EQ(log.exit_code, 0) << log.out << log.err;
  EXPECT_NE(log.out.find("INTACT"), std::string::npos) << log.out;
  const CliResult models = run_folio(url, {"verify", "--projections"});
  EXPECT_EQ(models.exit_code, 0) << models.out << models.err;
  EXPECT_NE(models.out.find("INTACT"), std::string::npos) << models.out;
}

class BackupDrill : public DomainTest {};

TEST_P(BackupDrill, ABackupTakenUnderWriteLoadRestoresIntact) {
  TempDir dir;
  const std::string copy = dir.file("folio-backup.db");
  Writer writer(*handler_);
  writer.wait_for(200);  // some data first, so the copy has many pages to step through
  const long writes_before = writer.writes();
  std::string restored_url;
  if (GetParam() == Backend::sqlite) {
    const CliResult backup = run_folio(db_->url(), {"backup", copy, "--pages-per-step", "1"});
    const long writes_during = writer.writes() - writes_before;
    writer.stop();
    EXPECT_GT(writes_during, 0) << "no write ran while the backup did: not a test under load";
    ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
    EXPECT_NE(backup.out.find("quick_check ok"), std::string::npos) << backup.out;
    EXPECT_FALSE(std::filesystem::exists(copy + ".partial"));
    restored_url = "sqlite://" + copy;
  } else {
    const std::string dump = dir.file("folio.dump");
    const auto [dumped, dump_output] =
        shell("pg_dump --format=custom --schema=" + db_->location() + " --file=" + quoted(dump) +
              " " + quoted(db_->server_url()));
    const long writes_during = writer.writes() - writes_before;
    writer.stop();
    EXPECT_GT(writes_during, 0) << "no write ran while pg_dump did: not a test under load";
    ASSERT_EQ(dumped, 0) << dump_output;
    const std::string database = "folio_restore_" + db_->location();
    const std::string server = db_->server_url();
    const auto slash = server.rfind('/');
    ASSERT_NE(slash, std::string::npos);
    const std::string restored_server = server.substr(0, slash + 1) + database;
    shell("psql -q " + quoted(server) + " -c 'DROP DATABASE IF EXISTS " + database + "'");
    const auto [created, create_output] =
        shell("psql -q " + quoted(server) + " -c 'CREATE DATABASE " + database + "'");
    ASSERT_EQ(created, 0) << create_output;
    const auto [restored, restore_output] =
        shell("pg_restore --no-owner --exit-on-error --dbname=" + quoted(restored_server) + " " +
              quoted(dump));
    EXPECT_EQ(restored, 0) << restore_output;
    restored_url = restored_server + "?options=-csearch_path%3D" + db_->location();
    expect_intact(restored_url);
    const CliResult count = run_folio(restored_url, {"export"});
    EXPECT_EQ(count.exit_code, 0) << count.err;
    shell("psql -q " + quoted(server) + " -c 'DROP DATABASE " + database + " WITH (FORCE)'");
    EXPECT_GE(lines_of(count.out).size(), static_cast<std::size_t>(writes_before));
    return;
  }
  expect_intact(restored_url);
  // The copy holds at least what was acknowledged before it started (every create is an
  // event or more), and the live database went on without it.
  const CliResult events = run_folio(restored_url, {"export"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_GE(lines_of(events.out).size(), static_cast<std::size_t>(writes_before));
  const CliResult live = run_folio(db_->url(), {"export"});
  EXPECT_GT(lines_of(live.out).size(), lines_of(events.out).size());
}

TEST_P(BackupDrill, RefusesWhatItCannotDoAndLeavesNoFile) {
  TempDir dir;
  if (GetParam() == Backend::postgres) {
    const CliResult advice = run_folio(db_->url(), {"backup", dir.file("x.db")});
    EXPECT_EQ(advice.exit_code, 2);
    EXPECT_NE(advice.err.find("pg_dump --format=custom"), std::string::npos) << advice.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.db")));
    return;
  }
  const std::string taken = dir.file("taken.db");
  write_file(taken, "someone else's file");
  const CliResult exists = run_folio(db_->url(), {"backup", taken});
  EXPECT_EQ(exists.exit_code, 2) << exists.err;
  EXPECT_NE(exists.err.find("never overwrites"), std::string::npos) << exists.err;
  EXPECT_EQ(read_file(taken), "someone else's file");

  const CliResult missing =
      run_folio("sqlite://" + dir.file("nothing-here.db"), {"backup", dir.file("copy.db")});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("no SQLite database"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("copy.db")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("nothing-here.db")));

  const CliResult no_destination = run_folio(db_->url(), {"backup"});
  EXPECT_EQ(no_destination.exit_code, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, BackupDrill, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
