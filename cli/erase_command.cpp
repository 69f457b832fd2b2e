#include "cli/erase_command.h"

#include <ostream>

#include "cli/command_options.h"
#include "commands/command_handler.h"
#include "commands/validation.h"
#include "events/entity_catalog.h"
#include "store/event_store.h"

namespace folio::cli {

namespace {

const CommandSyntax kEraseSyntax{
    "erase", "Usage: folio [--db URL] erase <user|worker> <id> --reason TEXT",
    "Erases a person's data for good: deletes the key their personal values (a user's\n"
    "username and email, a worker's name and external id) are sealed with in the event log,\n"
    "records an Erased event (who, when, the reason; no personal data), shows [erased] in\n"
    "their place everywhere, ends a user's password and tokens, removes kept answers and\n"
    "login counts that held the values, and purges the database's freed space. The log still\n"
    "verifies. It cannot be undone. docs/personal-data.md lists what stays out of its reach\n"
    "(backups, exports, PostgreSQL's WAL until recycled).",
    "Exit status: 0 erased (or erased already), 1 no such entity, 2 bad usage, 3 database\n"
    "error.\n"};

}  // namespace

int run_erase_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()("reason", po::value<std::string>(), "why (recorded in the event)");
  int exit_code = kExitOk;
  const auto values =
      parse_command_options(context, kEraseSyntax, options, {{"entity_type", "id"}}, exit_code);
  if (!values) return exit_code;
  const events::EntitySpec* spec = entity_named((*values)["entity_type"].as<std::string>());
  if (spec == nullptr || !spec->has_personal_fields()) {
    context.err << "folio erase: only a user or a worker can be erased\n";
    return kExitUsage;
  }
  if (!values->count("reason") || (*values)["reason"].as<std::string>().empty()) {
    context.err << "folio erase: --reason is required\n";
    return kExitUsage;
  }
  const auto id = (*values)["id"].as<std::string>();
  auto store = store::open_event_store(context.database_url, {.connections = 1});
  commands::CommandHandler handler(*store);
  const commands::CommandContext as{commands::Actor::system_actor(), "erase-" + commands::new_id(),
                                    ""};
  const auto outcome = handler.erase(as, {spec, id, (*values)["reason"].as<std::string>()});
  if (outcome.kind == commands::Outcome::Kind::not_found) {
    context.err << "folio erase: " << spec->type << " " << id << " does not exist\n";
    return kExitFindings;
  }
  if (!outcome.ok()) {
    context.err << "folio erase: refused:";
    for (const auto& e : outcome.errors) context.err << " " << e.field << " " << e.message;
    context.err << "\n";
    return kExitUsage;
  }
  context.out << spec->type << " " << id << " erased at version " << outcome.entity.version
              << " (request id " << as.request_id << ")\n";
  return kExitOk;
}

}  // namespace folio::cli
