#include "cli/rebuild_command.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <ostream>

#include "cli/command_options.h"
#include "cli/progress.h"
#include "cli/schema_check.h"
#include "events/entity_catalog.h"
#include "projections/rebuild.h"
#include "store/database_url.h"

namespace folio::cli {

namespace {

const CommandSyntax kRebuildSyntax{
    "rebuild", "Usage: folio [--db URL] rebuild [--entity TYPE]... [--batch-size N]",
    "Rebuilds the read models (the entity tables) from the event log while the server\n"
    "keeps serving and writing: the events are folded into shadow tables, events appended\n"
    "meanwhile are caught up by global position, then the shadow tables replace the live\n"
    "ones in one transaction, so readers never see a half-built model.\n"
    "\n"
    "Resumable: killed at any point, run it again with the same --entity set and it\n"
    "continues from its checkpoint; with another set it discards the interrupted run and\n"
    "starts over (and says so). user_credentials (password hashes) are not in the event\n"
    "stream and are left as they are. Run one rebuild at a time.",
    "Exit status: 0 rebuilt and swapped in; 1 a corrupt event log (the live read models are\n"
    "unchanged); 2 bad usage or unmigrated schema; 3 a database error (run again to resume).\n"};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

int run_rebuild_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()(
      "entity", po::value<std::vector<std::string>>()->composing(),
      "an entity type to rebuild (repeatable, or comma-separated; default: all 13), "
      "e.g. resource_assignment")("batch-size", po::value<std::int64_t>()->default_value(5000),
                                  "events per transaction, 1..1000000");
  int exit_code = kExitOk;
  const auto values = parse_command_options(context, kRebuildSyntax, options, {}, exit_code);
  if (!values) return exit_code;
  std::vector<std::string> types;
  if (values->count("entity")) types = (*values)["entity"].as<std::vector<std::string>>();
  const auto batch_size = (*values)["batch-size"].as<std::int64_t>();
  if (batch_size < 1 || batch_size > 1'000'000) {
    context.err << "folio rebuild: --batch-size must be from 1 to 1000000\n";
    return kExitUsage;
  }

  // --entity a,b is the same as --entity a --entity b.
  std::vector<std::string> split;
  for (const auto& item : types) {
    for (std::size_t start = 0; start <= item.size();) {
      const auto comma = std::min(item.find(',', start), item.size());
      split.push_back(item.substr(start, comma - start));
      start = comma + 1;
    }
  }
  types = std::move(split);
  for (const auto& type : types) {
    if (!events::find_entity_by_type(type)) {
      context.err << "folio rebuild: unknown entity type '" << type << "'\n";
      return kExitUsage;
    }
  }
  if (!schema_is_current(context, "rebuild")) return kExitUsage;
  auto store = store::open_event_store(context.database_url, store::StoreOptions{.connections = 2});
  context.out << "database: " << store::redact_database_url(context.database_url) << " ("
              << store->dialect() << ")\n";

  Progress progress(context.err, "rebuild", "events");
  projections::RebuildOptions rebuild{types, static_cast<std::size_t>(batch_size),
                                      [&](std::int64_t done, std::int64_t total) {
                                        progress.set_total(total);
                                        progress.set_done(done);
                                      }};
  const auto started = std::chrono::steady_clock::now();
  projections::RebuildResult result;
  try {
    result = projections::rebuild_read_models(*store, rebuild);
  } catch (const std::invalid_argument& e) {
    context.err << "folio rebuild: " << e.what() << "\n";
    return kExitUsage;
  }
  progress.clear();  // the summary below says how long it took
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!result.discarded.empty()) {
    context.out << "discarded an interrupted rebuild of other entity types (" << result.discarded
                << ") and started over\n";
  }
  if (result.resumed) {
    context.out << "resumed an interrupted rebuild from position " << result.resumed_from << "\n";
  }
  context.out << "rebuilt " << result.entity_types.size() << " entity types ("
              << join(result.entity_types) << "); user_credentials left as they are\n"
              << "rebuild: " << with_thousands(result.events) << " events, "
              << with_thousands(result.entities) << " entities in " << std::fixed
              << std::setprecision(2) << seconds << " s ("
              << with_thousands(static_cast<std::int64_t>(
                     seconds > 0 ? static_cast<double>(result.events) / seconds : 0))
              << " events/s); read models now at position " << result.position << "\n";
  return kExitOk;
}

}  // namespace folio::cli
