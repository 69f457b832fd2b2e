#include "cli/backup_command.h"

#include <iomanip>
#include <ostream>
#include <sstream>

#include "cli/command_options.h"
#include "cli/progress.h"
#include "store/database_url.h"
#include "store/sqlite/sqlite_backup.h"
#include "store/store_error.h"

namespace folio::cli {

namespace {

const CommandSyntax kBackupSyntax{
    "backup",
    "Usage: folio [--db sqlite:///path/folio.db] backup <destination> [--pages-per-step N]",
    "Copies a SQLite database to a new file while the server keeps serving and writing,\n"
    "with SQLite's online backup API. The copy is one consistent snapshot (every event\n"
    "and read-model row as of one moment; writers are not held up). It is written to\n"
    "<destination>.partial, checked (PRAGMA quick_check), synced and only then renamed, so\n"
    "a file named <destination> is always a whole backup. An existing file is never\n"
    "overwritten.\n"
    "\n"
    "To restore: stop the server, put the backup in place of the database file, remove the\n"
    "old file's -wal and -shm beside it, start the server, and run `folio verify` and\n"
    "`folio verify --projections`.\n"
    "\n"
    "PostgreSQL databases are backed up with pg_dump (one consistent snapshot too):\n"
    "`folio backup` on a postgresql:// URL prints the commands. docs/operations.md has the\n"
    "whole drill.",
    "Exit status: 0 backed up; 2 bad usage (destination exists, no such database, a\n"
    "PostgreSQL URL); 3 a database error (nothing is left at <destination>).\n"};

void print_pg_dump_advice(const CliContext& context) {
  const std::string url = store::redact_database_url(context.database_url);
  context.err << "folio backup: this is a PostgreSQL database; back it up with pg_dump,\n"
                 "which reads one consistent snapshot while the servers keep writing:\n"
                 "  pg_dump --format=custom --file=folio.dump '"
              << url
              << "'\n"
                 "and restore it into a new, empty database:\n"
                 "  createdb folio_restored\n"
                 "  pg_restore --no-owner --dbname=folio_restored folio.dump\n"
                 "then check it: folio --db <its URL> verify && folio --db <its URL> verify "
                 "--projections\n"
                 "(docs/operations.md, \"Backup and restore\").\n";
}

std::string mebibytes(std::int64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1024.0 * 1024.0)
      << " MiB";
  return out.str();
}

}  // namespace

int run_backup_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()("pages-per-step", po::value<int>()->default_value(4096),
                        "database pages copied between progress reports, 1..1000000");
  int exit_code = kExitOk;
  const auto values =
      parse_command_options(context, kBackupSyntax, options, {{"destination"}}, exit_code);
  if (!values) return exit_code;
  const int pages_per_step = (*values)["pages-per-step"].as<int>();
  if (pages_per_step < 1 || pages_per_step > 1'000'000) {
    context.err << "folio backup: --pages-per-step must be from 1 to 1000000\n";
    return kExitUsage;
  }
  const auto destination = (*values)["destination"].as<std::string>();
  const auto database = store::parse_database_url(context.database_url);
  if (database.kind == store::DatabaseUrl::Kind::postgresql) {
    print_pg_dump_advice(context);
    return kExitUsage;
  }

  Progress progress(context.err, "backup", "pages");
  store::sqlite::BackupSummary summary;
  try {
    summary = store::sqlite::backup_database(
        database.target, destination,
        [&](std::int64_t copied, std::int64_t total) {
          progress.set_total(total);
          progress.set_done(copied);
        },
        pages_per_step);
  } catch (const store::StoreUsageError& e) {
    context.err << "folio backup: " << e.what() << "\n";
    return kExitUsage;
  }
  progress.finish();
  context.out << "database: " << context.database_url << " (sqlite)\n"
              << "backup:   " << destination << " (" << mebibytes(summary.bytes) << ", "
              << with_thousands(summary.pages) << " pages, quick_check ok)\n"
              << "contents: " << with_thousands(summary.events)
              << " events, head at global position " << summary.head_position << "\n";
  return kExitOk;
}

}  // namespace folio::cli
