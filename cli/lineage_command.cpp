#include "cli/lineage_command.h"

#include <boost/json.hpp>
#include <ostream>

#include "cli/command_options.h"
#include "commands/queries.h"
#include "events/entity_catalog.h"
#include "events/timestamp.h"
#include "http/entity_json.h"
#include "projections/lineage.h"
#include "store/event_store.h"

namespace folio::cli {

namespace {

const CommandSyntax kLineageSyntax{
    "lineage", "Usage: folio [--db URL] lineage <entity_type> <id> <field> [--as-of TIME] [--json]",
    "Every value one field of an entity has held, oldest first: the version, time, user,\n"
    "request id and event that set it (the creation, then each change). The auditor's\n"
    "\"who set this budget to this amount, and when\". With --as-of, only what was recorded\n"
    "up to TIME: the last line is the value then.\n"
    "<entity_type> is a type such as project_phase or its URL name (project-phases).",
    "TIME is YYYY-MM-DD (midnight UTC) or an RFC 3339 time such as 2026-11-28T09:30:00Z.\n"
    "Exit status: 0 printed, 1 no such entity, 2 bad usage (an unknown type or field),\n"
    "3 database error.\n"};

}  // namespace

int run_lineage_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()("as-of", po::value<std::string>(), "only events recorded up to TIME")(
      "json", po::bool_switch(), "one JSON object per value and line");
  int exit_code = kExitOk;
  const auto values = parse_command_options(context, kLineageSyntax, options,
                                            {{"entity_type", "id", "field"}}, exit_code);
  if (!values) return exit_code;
  const auto type = (*values)["entity_type"].as<std::string>();
  const auto id = (*values)["id"].as<std::string>();
  const auto field = (*values)["field"].as<std::string>();
  const events::EntitySpec* spec = entity_named(type);
  if (spec == nullptr) {
    context.err << "folio lineage: unknown entity type '" << type << "'\n";
    return kExitUsage;
  }
  if (!projections::has_lineage(*spec, field)) {
    context.err << "folio lineage: " << spec->type << " has no field '" << field
                << "' that events record; its fields:";
    for (const auto& f : spec->fields) {
      if (projections::has_lineage(*spec, f.name)) context.err << " " << f.name;
    }
    context.err << "\n";
    return kExitUsage;
  }
  // recorded_at values compare as text: same fixed format, all UTC
  const auto given_as_of = time_option(*values, "as-of");
  if (!given_as_of) {
    context.err << "folio lineage: --as-of must be YYYY-MM-DD or an RFC 3339 time\n";
    return kExitUsage;
  }
  const std::string as_of = *given_as_of;

  auto store = store::open_event_store(context.database_url, {.connections = 1});
  commands::EntityQueries queries(*store);
  std::vector<projections::HistoryEntry> history;
  if (!queries.history(commands::Actor::system_actor(), *spec, id, history).ok()) {
    context.err << "folio lineage: " << spec->type << " " << id << " does not exist\n";
    return kExitFindings;
  }
  const auto lineage = projections::field_lineage(history, field, as_of);
  const bool json = (*values)["json"].as<bool>();
  if (!json) {
    context.out << spec->type << " " << id << " " << field << ": " << lineage.size() << " value"
                << (lineage.size() == 1 ? "" : "s") << (as_of.empty() ? "" : " up to " + as_of)
                << "\n";
  }
  for (const auto& entry : lineage) {
    if (json) {
      context.out << boost::json::serialize(http::lineage_entry_to_json(entry)) << "\n";
      continue;
    }
    context.out << "v" << entry.version << "  " << entry.recorded_at << "  "
                << boost::json::serialize(http::field_value_to_json(entry.value)) << "\n"
                << "    " << entry.event_type << " by "
                << (entry.user_id.empty() ? "(system)" : "user " + entry.user_id) << ", request "
                << (entry.request_id.empty() ? "-" : entry.request_id) << "\n";
  }
  return kExitOk;
}

}  // namespace folio::cli
