// The `folio` executable: parses the global options and dispatches to a subcommand.
// Each subcommand lives in its own file; this one only wires them.
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/backup_command.h"
#include "cli/changes_command.h"
#include "cli/cli_context.h"
#include "cli/command_options.h"
#include "cli/erase_command.h"
#include "cli/export_command.h"
#include "cli/import_command.h"
#include "cli/keygen_command.h"
#include "cli/lineage_command.h"
#include "cli/migrate_command.h"
#include "cli/openapi_command.h"
#include "cli/rebuild_command.h"
#include "cli/replay_command.h"
#include "cli/schema_command.h"
#include "cli/serve_command.h"
#include "cli/verify_command.h"
#include "events/entity_catalog.h"
#include "folio_version.h"  // generated: cmake/WriteVersion.cmake
#include "store/store_error.h"

namespace {

using folio::cli::CliContext;

struct Subcommand {
  const char* summary;
  std::function<int(const CliContext&)> run;
  bool needs_database = true;  // false: no default database (and no data folder) is set up
};

const std::map<std::string, Subcommand>& subcommands() {
  static const std::map<std::string, Subcommand> all = {
      {"migrate", {"apply, revert or list schema migrations", folio::cli::run_migrate_command}},
      {"rebuild", {"rebuild the read models from the event log", folio::cli::run_rebuild_command}},
      {"serve", {"serve the HTTP API", folio::cli::run_serve_command}},
      {"verify",
       {"check the event log's hash chains and seals, or the read models",
        folio::cli::run_verify_command}},
      {"user", {"create the first admin (user create-admin)", folio::cli::run_user_command}},
      {"openapi",
       {"print the OpenAPI 3.1 document of the HTTP API", folio::cli::run_openapi_command, false}},
      {"schema",
       {"print the read-model SQL generated from the entity catalog",
        folio::cli::run_schema_command, false}},
      {"replay",
       {"an entity's events with changes and states, for audits", folio::cli::run_replay_command}},
      {"changes",
       {"who changed what across all entities, field by field", folio::cli::run_changes_command}},
      {"export",
       {"all (or filtered) events as decoded JSON lines", folio::cli::run_export_command}},
      {"keygen",
       {"write a key pair for signed statements of the log head", folio::cli::run_keygen_command,
        false}},
      {"erase",
       {"erase a user's or worker's personal data for good", folio::cli::run_erase_command}},
      {"lineage",
       {"every value one field held, and who set it when", folio::cli::run_lineage_command}},
      {"import", {"adopt existing rows from a JSON-lines file", folio::cli::run_import_command}},
      {"backup",
       {"copy a live SQLite database to a new file (PostgreSQL: pg_dump)",
        folio::cli::run_backup_command}},
  };
  return all;
}

void print_usage(std::ostream& out) {
  out << "Usage: folio [--db URL] <command> [args...]\n"
         "\n"
         "Folio: an event-sourced planning back end.\n"
         "\n"
         "Commands:\n";
  for (const auto& [name, command] : subcommands()) {
    out << "  " << name << std::string(12 - name.size(), ' ') << command.summary << "\n";
  }
  out << "\n"
         "Options:\n"
         "  --db URL    database: sqlite:///path/to/folio.db or\n"
         "              postgresql://user:password@host:port/database\n"
         "              (default: $FOLIO_DB, else sqlite under ./data/folio.db)\n"
         "  -h, --help  show this help; `folio <command> --help` for a command's own\n"
         "  --version   print the version and the commit it was built from\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string database_url;
  std::size_t i = 0;
  for (; i < args.size() && args[i].rfind("-", 0) == 0; ++i) {
    if (args[i] == "-h" || args[i] == "--help") {
      print_usage(std::cout);
      return 0;
    }
    if (args[i] == "--version") {
      std::cout << "folio " << FOLIO_VERSION << " (commit " << FOLIO_COMMIT << ")\n";
      return 0;
    }
    if (args[i] == "--db" && i + 1 < args.size()) {
      database_url = args[++i];
    } else if (args[i].rfind("--db=", 0) == 0) {
      database_url = args[i].substr(5);
    } else {
      std::cerr << "folio: unknown option '" << args[i] << "'\n\n";
      print_usage(std::cerr);
      return 2;
    }
  }
  if (i == args.size()) {
    print_usage(std::cerr);
    return 2;
  }
  const auto command = subcommands().find(args[i]);
  if (command == subcommands().end()) {
    std::cerr << "folio: unknown command '" << args[i] << "'\n\n";
    print_usage(std::cerr);
    return 2;
  }
  if (const auto wrong = folio::events::personal_fields_config_error(); !wrong.empty()) {
    std::cerr << "folio: FOLIO_PERSONAL_FIELDS: " << wrong << "\n";
    return 2;
  }
  try {
    if (database_url.empty() && command->second.needs_database) {
      const char* from_env = std::getenv("FOLIO_DB");
      database_url = from_env && *from_env ? from_env : folio::cli::default_database_url();
    }
    const CliContext context{
        database_url, {args.begin() + static_cast<long>(i) + 1, args.end()}, std::cout, std::cerr};
    return command->second.run(context);
  } catch (const folio::store::StoreError& e) {
    std::cerr << "folio " << args[i] << ": " << e.what() << "\n";
    return folio::cli::kExitStoreError;
  } catch (const std::exception& e) {
    std::cerr << "folio " << args[i] << ": " << e.what() << "\n";
    return 1;
  }
}
