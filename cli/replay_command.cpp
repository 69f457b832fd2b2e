#include "cli/replay_command.h"

#include <boost/json.hpp>
#include <ostream>

#include "cli/command_options.h"
#include "cli/field_text.h"
#include "cli/progress.h"
#include "commands/queries.h"
#include "events/entity_catalog.h"
#include "events/timestamp.h"
#include "http/entity_json.h"
#include "projections/fold.h"
#include "store/event_store.h"

namespace folio::cli {

namespace {

const CommandSyntax kReplaySyntax{
    "replay",
    "Usage: folio [--db URL] replay <entity_type> <id> [--to-version N] [--as-of TIME] [--json]\n"
    "       folio [--db URL] replay <entity_type> --as-of TIME [--json]",
    "Replays one entity's events in order, for audits: each event's version, time, user,\n"
    "request id and field changes (from -> to), then the entity's state after it.\n"
    "Without an id: every entity of the type as it stood at TIME (deleted ones while they\n"
    "existed, later ones absent), folded from the events, one JSON object per line, ordered\n"
    "by id (what GET /api/v1/{collection}?as_of=TIME lists).\n"
    "<entity_type> is a type such as project_phase or its URL name (project-phases).",
    "TIME is YYYY-MM-DD (midnight UTC) or an RFC 3339 time such as 2026-11-28T09:30:00Z.\n"
    "Exit status: 0 printed, 1 no such entity (or nothing at that version/time),\n"
    "2 bad usage, 3 database error.\n"};

boost::json::object state_json(const events::EntitySpec& spec, const projections::EntityState& s) {
  auto out = http::entity_to_json(spec, s);
  out["deleted"] = s.deleted;
  return out;
}

void print_text(std::ostream& out, const events::RecordedEvent& event,
                const projections::HistoryEntry& entry, const boost::json::object& state) {
  out << "v" << entry.version << "  " << entry.recorded_at << "  " << entry.event_type
      << "  (position " << event.global_position << ")\n"
      << "    user " << (entry.user_id.empty() ? "(system)" : entry.user_id) << "  request "
      << (entry.request_id.empty() ? "-" : entry.request_id) << "\n";
  for (const auto& [name, change] : entry.changes) {
    out << "    " << name << ": " << field_text(change.from) << " -> " << field_text(change.to)
        << "\n";
  }
  out << "    state: " << boost::json::serialize(state) << "\n";
}

// The whole collection as of `as_of`, one entity per line; progress on standard error.
int replay_collection(const CliContext& context, const events::EntitySpec& spec,
                      const std::string& as_of, bool json) {
  auto store = store::open_event_store(context.database_url, {.connections = 1});
  commands::EntityQueries queries(*store);
  projections::ListQuery query;
  query.limit = 500;
  Progress progress(context.err, "replay " + std::string(spec.collection), "entities");
  do {
    commands::ListPage page;
    queries.list_as_of(commands::Actor::system_actor(), spec, query, as_of, page);
    for (const auto& state : page.items) {
      context.out << boost::json::serialize(http::entity_to_json(spec, state)) << "\n";
    }
    progress.advance(static_cast<std::int64_t>(page.items.size()));
    query.after_id = page.next_cursor;
  } while (!query.after_id.empty());
  progress.finish();
  if (!json) {
    context.out << spec.collection << " as of " << as_of << ": " << with_thousands(progress.done())
                << "\n";
  }
  return kExitOk;
}

}  // namespace

int run_replay_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()("to-version", po::value<std::int64_t>(), "stop after this version")(
      "as-of", po::value<std::string>(), "stop at the last event recorded at or before TIME")(
      "json", po::bool_switch(), "one JSON object per event and line");
  int exit_code = kExitOk;
  const auto values =
      parse_command_options(context, kReplaySyntax, options, {{"entity_type", "id"}, 1}, exit_code);
  if (!values) return exit_code;

  const auto type = (*values)["entity_type"].as<std::string>();
  const events::EntitySpec* spec = entity_named(type);
  if (spec == nullptr) {
    context.err << "folio replay: unknown entity type '" << type << "'\n";
    return kExitUsage;
  }
  std::int64_t to_version = INT64_MAX;
  if (values->count("to-version")) {
    to_version = (*values)["to-version"].as<std::int64_t>();
    if (to_version < 1) {
      context.err << "folio replay: --to-version must be at least 1\n";
      return kExitUsage;
    }
  }
  // recorded_at values compare as text: same fixed format, all UTC
  const auto given_as_of = time_option(*values, "as-of");
  if (!given_as_of) {
    context.err << "folio replay: --as-of must be YYYY-MM-DD or an RFC 3339 time\n";
    return kExitUsage;
  }
  const std::string as_of = *given_as_of;
  const bool json = (*values)["json"].as<bool>();
  if (!values->count("id")) {
    if (as_of.empty() || to_version != INT64_MAX) {
      context.err << "folio replay: without an id, give --as-of TIME (and no --to-version)\n";
      return kExitUsage;
    }
    return replay_collection(context, *spec, as_of, json);
  }
  const std::string id = (*values)["id"].as<std::string>();

  auto store = store::open_event_store(context.database_url, {.connections = 1});
  auto events = store->read_stream(projections::stream_id_of(*spec, id), 1, to_version);
  if (!as_of.empty()) {
    std::erase_if(events, [&](const events::RecordedEvent& e) { return e.recorded_at > as_of; });
  }
  if (events.empty()) {
    context.err << "folio replay: " << spec->type << " " << id << " has no events"
                << (to_version != INT64_MAX || !as_of.empty() ? " up to that point" : "") << "\n";
    return kExitFindings;
  }
  if (to_version != INT64_MAX && events.back().stream_version < to_version && as_of.empty()) {
    context.err << "folio replay: " << spec->type << " " << id << " has only "
                << events.back().stream_version << " versions\n";
    return kExitFindings;
  }

  const auto entries = projections::history(*spec, events);
  projections::EntityState state;
  state.id = id;
  if (!json) {
    context.out << spec->type << " " << id << ": " << events.size() << " event"
                << (events.size() == 1 ? "" : "s") << "\n";
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    projections::apply_event(*spec, state, events[i]);
    const auto after = state_json(*spec, state);
    if (json) {
      auto line = http::history_entry_to_json(entries[i]);
      line["request_id"] = entries[i].request_id;
      line["command_id"] = events[i].metadata.command_id;
      line["position"] = events[i].global_position;
      line["state"] = after;
      context.out << boost::json::serialize(line) << "\n";
    } else {
      print_text(context.out, events[i], entries[i], after);
    }
  }
  return kExitOk;
}

}  // namespace folio::cli
