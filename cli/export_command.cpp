#include "cli/export_command.h"

#include <boost/json.hpp>
#include <fstream>
#include <ostream>

#include "cli/command_options.h"
#include "cli/progress.h"
#include "events/entity_catalog.h"
#include "events/timestamp.h"
#include "http/event_json.h"
#include "store/event_store.h"

namespace folio::cli {

namespace {

const CommandSyntax kExportSyntax{
    "export",
    "Usage: folio [--db URL] export [--stream ID | --entity-type TYPE] [--from-position N]\n"
    "                               [--to-position N] [--since TIME] [--until TIME]\n"
    "                               [--output FILE]",
    "Writes events as JSON lines in global order, payloads decoded:\n"
    "  {\"position\",\"stream_id\",\"entity_type\",\"entity_id\",\"version\",\"event_type\",\n"
    "   \"schema_version\",\"recorded_at\",\"user_id\",\"request_id\",\"command_id\",\"data\"}\n"
    "Reads in batches, so memory stays constant however large the store. Progress goes to\n"
    "standard error on a terminal.",
    "TIME is YYYY-MM-DD (midnight UTC) or an RFC 3339 time; ranges are inclusive.\n"
    "Exit status: 0 written, 1 an event could not be decoded, 2 bad usage, 3 database error.\n"};

struct Filter {
  std::string stream_id;
  std::string entity_type;
  std::int64_t from_position = 1;
  std::int64_t to_position = INT64_MAX;
  std::string since;  // normalized timestamps; recorded_at compares as text
  std::string until;

  bool keeps(const events::RecordedEvent& e) const {
    if (!entity_type.empty() && events::entity_type_of_stream(e.stream_id) != entity_type) {
      return false;
    }
    if (!since.empty() && e.recorded_at < since) return false;
    if (!until.empty() && e.recorded_at > until) return false;
    return e.global_position >= from_position && e.global_position <= to_position;
  }
};

std::int64_t head_position(store::EventStore& store) {
  std::int64_t head = 0;
  store.transact(store::Access::read_only, [&](store::Transaction& tx) {
    head = store::head_position(tx);
    return store::Verdict::commit;
  });
  return head;
}

// Calls `emit` for each event of the filter's stream, or of the whole log, in order.
template <class Emit>
void for_each_event(store::EventStore& store, const Filter& filter, std::size_t batch,
                    Progress& progress, Emit&& emit) {
  if (!filter.stream_id.empty()) {
    for (std::int64_t from = 1;; from += static_cast<std::int64_t>(batch)) {
      const auto events =
          store.read_stream(filter.stream_id, from, from + static_cast<std::int64_t>(batch) - 1);
      for (const auto& e : events) emit(e);
      progress.advance(static_cast<std::int64_t>(events.size()));
      if (events.size() < batch) return;
    }
  }
  for (std::int64_t after = filter.from_position - 1; after < filter.to_position;) {
    const auto events = store.read_all(after, batch);
    if (events.empty()) return;
    for (const auto& e : events) {
      if (e.global_position > filter.to_position) return;
      emit(e);
    }
    after = events.back().global_position;
    progress.set_done(after);
  }
}

}  // namespace

int run_export_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()("stream", po::value<std::string>(),
                        "only this stream (<entity_type>-<id>)")(
      "entity-type", po::value<std::string>(), "only streams of this entity type")(
      "from-position", po::value<std::int64_t>()->default_value(1), "first global position")(
      "to-position", po::value<std::int64_t>(), "last global position")(
      "since", po::value<std::string>(), "only events recorded at or after TIME")(
      "until", po::value<std::string>(), "only events recorded at or before TIME")(
      "output,o", po::value<std::string>(), "write to FILE instead of standard output")(
      "batch-size", po::value<std::size_t>()->default_value(1000), "events read per query");
  int exit_code = kExitOk;
  const auto values = parse_command_options(context, kExportSyntax, options, {}, exit_code);
  if (!values) return exit_code;

  Filter filter;
  if (values->count("stream")) filter.stream_id = (*values)["stream"].as<std::string>();
  if (values->count("entity-type")) {
    const auto type = (*values)["entity-type"].as<std::string>();
    const auto* spec = entity_named(type);
    if (spec == nullptr) {
      context.err << "folio export: unknown entity type '" << type << "'\n";
      return kExitUsage;
    }
    filter.entity_type = spec->type;
  }
  filter.from_position = (*values)["from-position"].as<std::int64_t>();
  if (values->count("to-position"))
    filter.to_position = (*values)["to-position"].as<std::int64_t>();
  const auto since = time_option(*values, "since");
  const auto until = time_option(*values, "until");
  const auto batch = (*values)["batch-size"].as<std::size_t>();
  if (!since || !until || filter.from_position < 1 || filter.to_position < filter.from_position ||
      batch < 1 || batch > 100000) {
    context.err << "folio export: --since/--until must be YYYY-MM-DD or RFC 3339 times, "
                   "positions at least 1 and in order, --batch-size 1..100000\n";
    return kExitUsage;
  }
  filter.since = *since;
  filter.until = *until;

  std::ofstream file;
  if (values->count("output")) {
    file.open((*values)["output"].as<std::string>(), std::ios::binary | std::ios::trunc);
    if (!file) {
      context.err << "folio export: cannot write " << (*values)["output"].as<std::string>() << "\n";
      return kExitUsage;
    }
  }
  std::ostream& out = values->count("output") ? file : context.out;

  auto store = store::open_event_store(context.database_url, {.connections = 1});
  Progress progress(context.err, "export", "events scanned");
  if (filter.stream_id.empty()) {
    progress.set_total(std::min(head_position(*store), filter.to_position));
  }
  std::int64_t written = 0;
  std::string line;
  for_each_event(*store, filter, batch, progress, [&](const events::RecordedEvent& e) {
    if (!filter.keeps(e)) return;
    line = boost::json::serialize(http::event_to_json(e));
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    ++written;
  });
  out.flush();
  progress.finish();
  context.err << "export: " << with_thousands(written) << " events written\n";
  return out ? kExitOk : kExitFindings;
}

}  // namespace folio::cli
