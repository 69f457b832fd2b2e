#include "cli/migrate_command.h"

#include <iomanip>
#include <ostream>

#include "store/database_url.h"
#include "store/migrator.h"

namespace folio::cli {

namespace {

constexpr const char* kUsage =
    "Usage: folio [--db URL] migrate <up | down [N] | status>\n"
    "\n"
    "  up        apply every pending migration (a no-op when the schema is current)\n"
    "  down [N]  revert the N most recent migrations (default 1), newest first\n"
    "  status    list the migrations and whether each is applied\n"
    "\n"
    "Exit status: 0 on success, 1 on a database error, 2 on bad usage.\n";

std::string name_of(const store::Migrator& /*unused*/, const std::vector<store::MigrationStatus>& all,
                    int number) {
  for (const auto& s : all) {
    if (s.number == number) return s.name;
  }
  return "?";
}

}  // namespace

int run_migrate_command(const CliContext& context) {
  const auto& args = context.args;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? context.err : context.out) << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& action = args[0];
  int steps = 1;
  if (action == "down" && args.size() == 2) {
    try {
      std::size_t used = 0;
      steps = std::stoi(args[1], &used);
      if (used != args[1].size() || steps < 1) throw std::invalid_argument("not positive");
    } catch (const std::exception&) {
      context.err << "folio migrate down: N must be a positive integer, got '" << args[1]
                  << "'\n";
      return 2;
    }
  } else if (args.size() != 1 || (action != "up" && action != "down" && action != "status")) {
    context.err << "folio migrate: unknown arguments\n" << kUsage;
    return 2;
  }

  auto target = store::open_migration_target(context.database_url);
  store::Migrator migrator(*target);
  const auto known = migrator.status();
  context.out << "database: " << store::redact_database_url(context.database_url) << " ("
              << target->dialect() << ")\n";
  if (action == "status") {
    for (const auto& s : known) {
      context.out << std::setw(4) << std::setfill('0') << s.number << std::setfill(' ') << "  "
                  << std::left << std::setw(28) << s.name << std::right
                  << (s.applied ? "applied " + s.applied_at : "pending") << "\n";
    }
    return 0;
  }
  const auto done = action == "up" ? migrator.up() : migrator.down(steps);
  if (done.empty()) {
    context.out << (action == "up" ? "schema is up to date\n" : "nothing to revert\n");
  }
  for (int number : done) {
    context.out << (action == "up" ? "applied  " : "reverted ") << std::setw(4)
                << std::setfill('0') << number << std::setfill(' ') << "_"
                << name_of(migrator, known, number) << "\n";
  }
  return 0;
}

}  // namespace folio::cli
