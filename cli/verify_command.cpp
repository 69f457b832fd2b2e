#include "cli/verify_command.h"

#include <exception>
#include <fstream>
#include <optional>
#include <ostream>

#include "cli/command_options.h"
#include "cli/progress.h"
#include "events/timestamp.h"
#include "folio_version.h"  // generated: cmake/WriteVersion.cmake
#include "projections/read_model_check.h"
#include "store/database_url.h"
#include "store/log_sealer.h"
#include "store/log_verifier.h"
#include "store/signed_head.h"
#include "store/store_error.h"

namespace folio::cli {

namespace {

const CommandSyntax kVerifySyntax{
    "verify",
    "Usage: folio [--db URL] verify [--seal] [--expect POSITION:HASH] [--batch-size N]\n"
    "       folio [--db URL] verify [--seal] --sign KEYFILE\n"
    "       folio [--db URL] verify --expect STATEMENT|FILE --public-key FILE\n"
    "       folio [--db URL] verify --projections [--batch-size N]",
    "Checks that the event log was not changed behind Folio's back (rows edited, deleted\n"
    "or inserted directly in the database). Every event's hash chains it to the previous\n"
    "event of its stream; seals written by `folio serve` in the background chain every\n"
    "event hash in global order. verify recomputes both and reports the first event that\n"
    "was altered, removed, inserted out of band or reordered, then prints the head running\n"
    "hash: record it outside the database and pass it to a later run with --expect (the\n"
    "hashes have no secret key, so only an outside record catches someone who rewrites\n"
    "every later hash and seal as well).\n"
    "Events written before migration 0004 have no hash and are counted as not covered.\n"
    "With --projections it checks the read models instead: it folds every stream (the code\n"
    "of the inline projection), compares the result with the read-model row and prints\n"
    "every drifted entity and field (expected from the events, actual in the read model)\n"
    "and every row that no stream explains.\n"
    "With --sign (a key from `folio keygen`) an intact run also prints a signed statement\n"
    "of the head (position, running hash, time, version; Ed25519) for the auditor to keep\n"
    "outside the database; --expect with that statement (or a file whose last statement\n"
    "it is) and --public-key checks its signature and that the log still extends it.\n"
    "docs/operations.md, \"Audit routine\", says what this proves and what it does not.",
    "Works beside a running server. Progress goes to standard error on a terminal.\n"
    "Exit status: 0 intact, 1 tampering (or read-model drift) found, 2 bad usage,\n"
    "3 database error (unreachable, or not migrated: run `folio migrate up`).\n"};

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

// What --expect names: a bare POSITION:HASH, or a signed statement (given, or the last one
// in a file) whose signature --public-key must confirm.
struct Expectation {
  std::optional<store::LogAnchor> anchor;
  std::optional<store::HeadStatement> statement;
};

std::optional<Expectation> read_expectation(const std::string& text,
                                            const std::string& public_key_file,
                                            std::string& error) {
  if (auto anchor = parse_anchor(text)) {
    if (!public_key_file.empty()) {
      error = "--public-key checks a signed statement; POSITION:HASH has no signature";
      return std::nullopt;
    }
    return Expectation{anchor, std::nullopt};
  }
  std::string line = text;
  if (text.rfind("folio-head ", 0) != 0) {
    std::ifstream file(text);
    if (!file) {
      error = "--expect takes POSITION:HASH, a signed statement, or a file holding one";
      return std::nullopt;
    }
    line.clear();
    for (std::string l; std::getline(file, l);) {
      if (l.rfind("folio-head ", 0) == 0) line = l;  // the last one counts
    }
    if (line.empty()) {
      error = text + " holds no signed statement (a line starting \"folio-head v1\")";
      return std::nullopt;
    }
  }
  auto statement = store::parse_head_statement(line, error);
  if (!statement) return std::nullopt;
  if (public_key_file.empty()) {
    error = "a signed statement is checked with the signer's public key: add --public-key FILE";
    return std::nullopt;
  }
  if (!store::head_statement_signed_by(line, store::read_public_key(public_key_file))) {
    error = "the statement's signature does not match " + public_key_file +
            ": it was altered, or signed with another key";
    return std::nullopt;
  }
  return Expectation{statement->head, statement};
}

int verify_hashes(const CliContext& context, store::EventStore& store, bool seal,
                  const Expectation& expected, const std::optional<store::SecretKey>& signer,
                  std::size_t batch) {
  const auto& anchor = expected.anchor;
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
    if (expected.statement) {
      out << "statement:     signed " << expected.statement->time << " by folio "
          << expected.statement->version << "; signature good, and the log extends it\n";
    }
    if (signer) {
      out << "INTACT. Signed statement of the head (keep it outside the database):\n"
          << store::sign_head({report.head_position, report.head_running_hash},
                              events::now_timestamp(),
                              std::string(FOLIO_VERSION) + "+" + FOLIO_COMMIT, *signer)
          << "\n";
      return kExitOk;
    }
    out << "INTACT: no event was altered, removed, inserted or reordered.\n"
           "Record the head outside the database. Later, this checks that the log up to it\n"
           "is unchanged:\n  folio verify --expect "
        << report.head_position << ":" << report.head_running_hash << "\n";
    return kExitOk;
  }
  out << "TAMPERED: " << with_thousands(report.problem_count) << " problem"
      << (report.problem_count == 1 ? "" : "s") << " found.\nFirst (lowest position): ";
  print_problem(out, *report.first);
  if (report.problem_count == 1) return kExitFindings;
  out << "All"
      << (report.problem_count > static_cast<std::int64_t>(report.problems.size())
              ? " (the first " + std::to_string(report.problems.size()) + ")"
              : std::string())
      << ":\n";
  for (const auto& p : report.problems) {
    out << "  - ";
    print_problem(out, p);
  }
  return kExitFindings;
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
    return kExitOk;
  }
  out << "DRIFT: " << with_thousands(report.drifted)
      << " entities differ from their events (`folio rebuild` rebuilds them).\n";
  return kExitFindings;
}

}  // namespace

int run_verify_command(const CliContext& context) {
  po::options_description options("Options");
  // clang-format off
  options.add_options()
      ("seal", "first seal the events not yet sealed (what `folio serve` does every second),"
               " so the whole log is covered by seals")
      ("expect", po::value<std::string>(),
       "POSITION:HASH, the head printed by an earlier run: also check that the log up to "
       "POSITION still hashes to HASH (this catches a rewrite of every later hash and seal)")
      ("sign", po::value<std::string>(),
       "KEYFILE (folio keygen): when intact, print a signed statement of the head")
      ("public-key", po::value<std::string>(),
       "FILE: the public key that signed the statement given to --expect")
      ("projections", "check the read models against a fold of every stream instead")
      ("batch-size", po::value<std::size_t>()->default_value(1000), "rows read per query");
  // clang-format on
  int exit_code = kExitOk;
  const auto values = parse_command_options(context, kVerifySyntax, options, {}, exit_code);
  if (!values) return exit_code;
  const bool projections = values->count("projections") > 0;
  const auto batch = (*values)["batch-size"].as<std::size_t>();
  const auto option = [&](const char* name) {
    return values->count(name) ? (*values)[name].as<std::string>() : std::string();
  };
  if (batch < 1 || batch > 100000 ||
      (projections && (values->count("seal") || values->count("expect") || values->count("sign") ||
                       values->count("public-key"))) ||
      (values->count("public-key") && !values->count("expect"))) {
    context.err << "folio verify: --batch-size must be 1..100000; --projections goes with "
                   "none of --seal, --expect, --sign, --public-key; --public-key goes with "
                   "--expect\n";
    return kExitUsage;
  }
  Expectation expected;
  std::optional<store::SecretKey> signer;
  try {
    if (values->count("expect")) {
      std::string error;
      auto read = read_expectation(option("expect"), option("public-key"), error);
      if (!read) {
        context.err << "folio verify: " << error << "\n";
        // A bad signature is a finding (the statement was tampered with), not a usage error.
        return error.find("signature does not match") != std::string::npos ? kExitFindings
                                                                           : kExitUsage;
      }
      expected = std::move(*read);
    }
    if (values->count("sign")) signer = store::read_secret_key(option("sign"));
  } catch (const std::runtime_error& e) {
    context.err << "folio verify: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    auto store = store::open_event_store(context.database_url);
    context.out << "database: " << store::redact_database_url(context.database_url) << " ("
                << store->dialect() << ")\n";
    return projections
               ? verify_projections(context, *store, batch)
               : verify_hashes(context, *store, values->count("seal") > 0, expected, signer, batch);
  } catch (const std::exception& e) {
    context.err << "folio verify: database error: " << e.what() << "\n";
    return kExitStoreError;
  }
}

}  // namespace folio::cli
