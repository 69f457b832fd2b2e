#include "cli/changes_command.h"

#include <boost/json.hpp>
#include <ostream>

#include "cli/command_options.h"
#include "cli/field_text.h"
#include "cli/progress.h"
#include "commands/event_feed.h"
#include "commands/validation.h"
#include "events/entity_catalog.h"
#include "events/timestamp.h"
#include "http/entity_json.h"
#include "http/event_json.h"
#include "store/event_store.h"

namespace folio::cli {

namespace {

const CommandSyntax kChangesSyntax{
    "changes",
    "Usage: folio [--db URL] changes [--since TIME] [--until TIME] [--user ID]\n"
    "                                [--entity-type TYPE,...] [--after POSITION] [--json]",
    "Who changed what, across every entity, in the global order of the log: each event's\n"
    "time, entity, version, user and field changes (from -> to). The auditor's first\n"
    "question; GET /api/v1/changes answers the same.",
    "TIME is YYYY-MM-DD (midnight UTC) or an RFC 3339 time such as 2026-11-28T09:30:00Z;\n"
    "both --since and --until are included (as in folio export). TYPE is an entity type\n"
    "such as project_phase.\n"
    "Progress goes to standard error when it is a terminal.\n"
    "Exit status: 0 printed (also when nothing matched), 2 bad usage, 3 database error.\n"};

void print_text(std::ostream& out, const commands::Change& change) {
  const auto& event = change.event;
  const auto& entry = change.entry;
  out << entry.recorded_at << "  " << event.stream_id << "  v" << entry.version << "  "
      << entry.event_type << "  by " << (entry.user_id.empty() ? "(system)" : entry.user_id)
      << "  (position " << event.global_position << ")\n";
  for (const auto& [name, c] : entry.changes) {
    out << "    " << name << ": " << field_text(c.from) << " -> " << field_text(c.to) << "\n";
  }
}

// The options into a feed query; false, with the problem printed, when one is malformed.
bool read_query(const CliContext& context, const po::variables_map& values,
                commands::FeedQuery& query) {
  for (const char* bound : {"since", "until"}) {
    const auto t = time_option(values, bound);
    if (!t) {
      context.err << "folio changes: --" << bound << " must be YYYY-MM-DD or an RFC 3339 time\n";
      return false;
    }
    if (!t->empty()) (std::string(bound) == "since" ? query.since : query.until) = *t;
  }
  if (values.count("user")) {
    query.user_id = values["user"].as<std::string>();
    if (!commands::is_uuid(query.user_id)) {
      context.err << "folio changes: --user must be a user id (a UUID)\n";
      return false;
    }
  }
  if (values.count("entity-type")) {
    std::string list = values["entity-type"].as<std::string>();
    for (std::size_t start = 0; start <= list.size();) {
      const auto comma = std::min(list.find(',', start), list.size());
      const std::string type = list.substr(start, comma - start);
      if (events::find_entity_by_type(type) == nullptr) {
        context.err << "folio changes: unknown entity type '" << type << "'\n";
        return false;
      }
      query.entity_types.push_back(type);
      start = comma + 1;
    }
  }
  query.after = values["after"].as<std::int64_t>();
  if (query.after < 0) {
    context.err << "folio changes: --after must be 0 or a position\n";
    return false;
  }
  return true;
}

}  // namespace

int run_changes_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()("since", po::value<std::string>(), "changes recorded at or after TIME")(
      "until", po::value<std::string>(), "changes recorded at or before TIME")(
      "user", po::value<std::string>(), "changes by this user id")(
      "entity-type", po::value<std::string>(), "only these entity types (comma-separated)")(
      "after", po::value<std::int64_t>()->default_value(0), "start after this log position")(
      "json", po::bool_switch(), "one JSON object per change and line");
  int exit_code = kExitOk;
  const auto values = parse_command_options(context, kChangesSyntax, options, {}, exit_code);
  if (!values) return exit_code;
  commands::FeedQuery query;
  if (!read_query(context, *values, query)) return kExitUsage;
  query.limit = 1000;
  const bool json = (*values)["json"].as<bool>();

  auto store = store::open_event_store(context.database_url, {.connections = 1});
  std::int64_t head = 0;
  store->transact(store::Access::read_statement, [&](store::Transaction& tx) {
    head = store::head_position(tx);
    return store::Verdict::commit;
  });
  // Progress counts positions looked at: the whole log after --after, whatever matches.
  Progress progress(context.err, "changes", "events", head - query.after);
  std::int64_t shown = 0;
  for (bool more = true; more;) {
    const auto page = commands::read_changes(*store, commands::Actor::system_actor(), query);
    for (const auto& change : page.changes) {
      if (json) {
        context.out << boost::json::serialize(http::change_to_json(change)) << "\n";
      } else {
        print_text(context.out, change);
      }
    }
    shown += static_cast<std::int64_t>(page.changes.size());
    progress.set_done(page.next_after - (*values)["after"].as<std::int64_t>());
    query.after = page.next_after;
    more = page.more;
  }
  progress.finish();
  if (!json) context.out << with_thousands(shown) << " change" << (shown == 1 ? "" : "s") << "\n";
  return kExitOk;
}

}  // namespace folio::cli
