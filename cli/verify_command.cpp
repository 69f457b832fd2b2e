#include "cli/verify_command.h"

#include <boost/program_options.hpp>
#include <exception>
#include <optional>
#include <ostream>

#include "cli/progress.h"
#include "projections/read_model_check.h"
#include "store/database_url.h"
#include "store/log_sealer.h"
#include "store/log_verifier.h"
#include "store/store_error.h"

namespace folio::cli {

namespace {

namespace po = boost::program_options;

constexpr int kIntact = 0;
constexpr int kFound = 1;
constexpr int kUsage = 2;
constexpr int kDatabaseError = 3;

constexpr const char* kUsageText =
    "Usage: folio [--db URL] verify [--seal] [--expect POSITION:HASH] [--batch N]\n"
    "       folio [--db URL] verify --projections [--batch N]\n"
    "\n"
    "Checks that the event log was not changed behind Folio's back (rows edited, deleted\n"
    "or inserted directly in the database). Every event's hash chains it to the previous\n"
    "event of its stream; seals written by `folio serve` in the background chain every\n"
    "event hash in global order. verify recomputes both and reports the first event that\n"
    "was altered, removed, inserted out of band or reordered, then prints the head running\n"
    "hash: record it outside the database and pass it to a later run with --expect (the\n"
    "hashes have no secret key, so only an outside record catches someone who rewrites\n"
    "every later hash and seal as well).\n"
    "Events written before migration 0004 have no hash and are counted as not covered.\n"
    "\n"
    "  --seal         first seal the events not yet sealed (what `folio serve` does every\n"
    "                 second), so that the whole log is covered by seals, then verify\n"
    "  --expect POSITION:HASH\n"
    "                 also check that the log up to POSITION still hashes to HASH, a head\n"
    "                 line recorded outside the database by an earlier run: this catches a\n"
    "                 rewrite that also rewrote every later hash and seal\n"
    "  --projections  instead of the hashes, fold every stream (the code of the inline\n"
    "                 projection) and compare it with its read-model row; print every\n"
    "                 drifted entity and field (expected from the events, actual in the\n"
    "                 read model) and every row no stream explains\n"
    "  --batch N      rows read per query (default 1000, 1..100000)\n"
    "  -h, --help     show this help\n"
    "\n"
    "Works beside a running server. Progress goes to standard error on a terminal.\n"
    "Exit status: 0 intact, 1 tampering (or read-model drift) found, 2 bad usage,\n"
    "3 database error (unreachable, or not migrated: run `folio migrate up`).\n";

void print_problem(std::ostream& out, const store::LogProblem& p) {
  out << kind_name(p.kind) << ": ";
  if (p.position != 0) out << "position " << p.position;
  if (!p.stream_id.empty()) {
    out << (p.position != 0 ? ", " : "") << "stream " << p.stream_id << " version "
        << p.stream_version;
  }
  out << "\n    " << p.detail << "\n";
}

// "POSITION:HASH" -> anchor; nullopt if malformed.
std::optional<store::LogAnchor> parse_anchor(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string digits = text.substr(0, colon);
  const std::string hash = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos || hash.size() != 64 ||
      hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  return store::LogAnchor{std::stoll(digits), hash};
}

int verify_hashes(const CliContext& context, store::EventStore& store, bool seal,
                  const std::optional<store::LogAnchor>& anchor, std::size_t batch) {
  auto& out = context.out;
  if (seal) {
    Progress progress(context.err, "verify: sealing", "events");
    const auto sealed = store::seal_log(
        store, [&](std::int64_t n) { progress.advance(n); }, batch);
    progress.finish();
    out << "sealed: " << with_thousands(sealed) << " events that had no seal yet\n";
  }
  const std::int64_t total = store::count_events(store);
  Progress streams(context.err, "verify: stream chains", "events", total);
  std::optional<Progress> log;  // started when the first pass ends, so its rate is its own
  auto start_log = [&] {
    if (log) return;
    streams.finish();
    log.emplace(context.err, "verify: global log", "events", total);
  };
  store::LogVerifyOptions options;
  options.batch = batch;
  options.anchor = anchor;
  options.on_stream_events = [&](std::int64_t n) { streams.advance(n); };
  options.on_log_events = [&](std::int64_t n) {
    start_log();
    log->advance(n);
  };
  const auto report = store::verify_log(store, options);
  start_log();
  log->finish();

  out << "stream chains: " << with_thousands(report.events_checked) << " events in "
      << with_thousands(report.streams_checked) << " streams\n";
  out << "global log:    " << with_thousands(report.log_events) << " events, "
      << with_thousands(report.seals_checked) << " seals checked";
  if (report.last_seal_position > 0) {
    out << " (last at position " << report.last_seal_position << ")";
  }
  out << ", " << with_thousands(report.events_after_last_seal)
      << " events after the last seal (not yet sealed: `folio verify --seal` seals them)\n";
  out << "not covered:   " << with_thousands(report.events_not_covered)
      << " events written before migration 0004 (no hash)\n";
  if (report.last_seal_position > 0) {
    out << "last seal:     position " << report.last_seal_position << " running hash "
        << report.last_seal_hash << "\n";
  }
  out << "head:          position " << report.head_position << " running hash "
      << report.head_running_hash << "\n";
  if (report.intact()) {
    if (anchor) {
      out << "recorded:      position " << anchor->position << " running hash "
          << anchor->running_hash << " matches\n";
    }
    out << "INTACT: no event was altered, removed, inserted or reordered.\n"
           "Record the head outside the database. Later, this checks that the log up to it\n"
           "is unchanged:\n  folio verify --expect "
        << report.head_position << ":" << report.head_running_hash << "\n";
    return kIntact;
  }
  out << "TAMPERED: " << with_thousands(report.problem_count) << " problem"
      << (report.problem_count == 1 ? "" : "s") << " found.\nFirst (lowest position): ";
  print_problem(out, *report.first);
  if (report.problem_count == 1) return kFound;
  out << "All" << (report.problem_count > static_cast<std::int64_t>(report.problems.size())
                       ? " (the first " + std::to_string(report.problems.size()) + ")"
                       : std::string())
      << ":\n";
  for (const auto& p : report.problems) {
    out << "  - ";
    print_problem(out, p);
  }
  return kFound;
}

int verify_projections(const CliContext& context, store::EventStore& store, std::size_t batch) {
  auto& out = context.out;
  Progress progress(context.err, "verify: read models", "streams",
                    projections::count_entity_streams(store));
  projections::ReadModelCheckOptions options;
  options.batch = batch;
  options.on_progress = [&](std::int64_t n) { progress.advance(n); };
  options.on_drift = [&](const projections::EntityDrift& drift) {
    out << "DRIFT " << drift.entity_type << " " << drift.id << ": " << kind_name(drift.kind);
    if (!drift.detail.empty()) out << ": " << drift.detail;
    out << "\n";
    for (const auto& f : drift.fields) {
      out << "    " << f.field << ": expected " << f.expected << ", actual " << f.actual << "\n";
    }
  };
  const auto report = projections::check_read_models(store, options);
  progress.finish();
  out << "read models: " << with_thousands(report.streams_checked) << " entities checked, "
      << with_thousands(report.drifted) << " drifted\n";
  if (report.clean()) {
    out << "INTACT: every read-model row equals the fold of its stream.\n";
    return kIntact;
  }
  out << "DRIFT: " << with_thousands(report.drifted)
      << " entities differ from their events (`folio rebuild` rebuilds them).\n";
  return kFound;
}

}  // namespace

int run_verify_command(const CliContext& context) {
  po::options_description options;
  std::size_t batch = 1000;
  std::string expect;
  options.add_options()("help,h", "")("seal", "")("projections", "")(
      "batch", po::value<std::size_t>(&batch))("expect", po::value<std::string>(&expect));
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(context.args).options(options).run(), vm);
    po::notify(vm);
    if (batch < 1 || batch > 100000) throw po::error("--batch must be 1..100000");
    if (vm.count("projections") && (vm.count("seal") || vm.count("expect"))) {
      throw po::error("--projections goes with neither --seal nor --expect");
    }
    if (vm.count("expect") && !parse_anchor(expect)) {
      throw po::error("--expect must be POSITION:HASH (64 lower-case hex digits), as printed "
                      "on the head line of an earlier run");
    }
  } catch (const po::error& e) {
    context.err << "folio verify: " << e.what() << "\n\n" << kUsageText;
    return kUsage;
  }
  if (vm.count("help")) {
    context.out << kUsageText;
    return kIntact;
  }
  try {
    auto store = store::open_event_store(context.database_url);
    context.out << "database: " << store::redact_database_url(context.database_url) << " ("
                << store->dialect() << ")\n";
    return vm.count("projections") ? verify_projections(context, *store, batch)
                                   : verify_hashes(context, *store, vm.count("seal") > 0,
                                                   vm.count("expect") ? parse_anchor(expect)
                                                                      : std::nullopt,
                                                   batch);
  } catch (const std::exception& e) {
    context.err << "folio verify: database error: " << e.what() << "\n";
    return kDatabaseError;
  }
}

}  // namespace folio::cli
