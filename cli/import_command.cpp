#include "cli/import_command.h"

#include <fstream>
#include <ostream>

#include "cli/command_options.h"
#include "cli/import_index.h"
#include "cli/outcome_text.h"
#include "cli/progress.h"
#include "cli/schema_check.h"
#include "commands/command_handler.h"
#include "commands/validation.h"
#include "events/timestamp.h"
#include "store/event_store.h"

namespace folio::cli {

namespace {

const CommandSyntax kImportSyntax{
    "import", "Usage: folio [--db URL] import <file.jsonl> [--check]",
    "Adopts existing data: each line is one JSON object with its entity_type and id and\n"
    "the entity's fields, e.g.\n"
    "  {\"entity_type\":\"portfolio\",\"id\":\"0193...\",\"name\":\"Growth\",\"owner\":\"Ada\"}\n"
    "(or a creation event line as `folio export` writes it). Each row becomes a new stream\n"
    "at version 1, through the same validation and rules as the API; ids are kept so that\n"
    "references hold, and rows are written parents first whatever the order in the file.\n"
    "\n"
    "Every line is checked first; if any is bad, all bad lines are listed with their line\n"
    "numbers and nothing is written. A row the store refuses later (a missing reference, a\n"
    "duplicate name, capacity) stops the import at that line; rows before it stay written,\n"
    "and running the same file again skips them (a row already present with the same\n"
    "values changes nothing), so a fixed file resumes where it stopped.\n"
    "\n"
    "A user row without a password gets a random one nobody knows: the user cannot log in\n"
    "until an admin sets a password.",
    "Exit status: 0 imported (or nothing to do), 1 rows rejected, 2 bad usage or unreadable\n"
    "file, 3 database error.\n"};

constexpr std::size_t kMaxReportedErrors = 100;
// Rows per unit of work: one commit for this many rows (a failing batch is written again
// row by row, so that the rows before the refused one stay written).
constexpr std::size_t kBatchRows = 500;

int report_bad_lines(const CliContext& context, const std::string& path,
                     const std::vector<ImportLineError>& errors) {
  for (std::size_t i = 0; i < errors.size() && i < kMaxReportedErrors; ++i) {
    context.err << path << ":" << errors[i].line << ": " << errors[i].message << "\n";
  }
  if (errors.size() > kMaxReportedErrors) {
    context.err << "... and " << errors.size() - kMaxReportedErrors << " more bad lines\n";
  }
  context.err << "folio import: " << errors.size() << " bad line" << (errors.size() == 1 ? "" : "s")
              << "; nothing was imported\n";
  return kExitFindings;
}

struct Tally {
  std::int64_t created = 0;
  std::int64_t present = 0;
  std::int64_t locked_users = 0;

  void count(const ImportRow& row, const commands::Outcome& outcome) {
    (outcome.created ? created : present) += 1;
    if (outcome.created && row.locked_user) ++locked_users;
  }
};

// The row the store refused, and why.
struct Refusal {
  const ImportRow* row = nullptr;
  std::string reason;
};

// Writes `rows` in one unit of work, each an idempotent create (its command id names the
// row); when one is refused, writes them one by one up to that one instead.
std::optional<Refusal> write_batch(commands::CommandHandler& handler, const std::string& request_id,
                                   const std::vector<ImportRow>& rows, Tally& tally) {
  std::vector<std::pair<commands::CommandContext, commands::CreateEntity>> batch;
  batch.reserve(rows.size());
  for (const auto& row : rows) {
    batch.emplace_back(
        commands::CommandContext{commands::Actor::system_actor(), request_id,
                                 "import:" + std::string(row.spec->type) + ":" + row.id},
        commands::CreateEntity{row.spec, row.id, std::nullopt, row.fields});
  }
  if (const auto outcomes = handler.create_all(batch)) {
    for (std::size_t i = 0; i < rows.size(); ++i) tally.count(rows[i], (*outcomes)[i]);
    return std::nullopt;
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto outcome = handler.create(batch[i].first, batch[i].second);
    if (!outcome.ok()) return Refusal{&rows[i], refusal_text(outcome)};
    tally.count(rows[i], outcome);
  }
  return std::nullopt;
}

}  // namespace

int run_import_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()
      ("check", po::bool_switch(), "only check every line (nothing is written)");
  int exit_code = kExitOk;
  const auto values = parse_command_options(context, kImportSyntax, options, {{"file"}}, exit_code);
  if (!values) return exit_code;
  const std::string path = (*values)["file"].as<std::string>();
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    context.err << "folio import: cannot read " << path << "\n";
    return kExitUsage;
  }

  // Pass 1: every line, nothing written.
  const ImportIndex index = index_import_file(file);
  if (!index.errors.empty()) return report_bad_lines(context, path, index.errors);
  context.out << path << ": " << index.rows.size() << " rows checked\n";
  if ((*values)["check"].as<bool>()) return kExitOk;
  if (!schema_is_current(context, "import")) return kExitUsage;

  // Pass 2: parents first, in batches.
  auto store = store::open_event_store(context.database_url, {.connections = 1});
  commands::CommandHandler handler(*store);
  const std::string request_id = "import-" + commands::new_id();
  Progress progress(context.err, "import", "rows", static_cast<std::int64_t>(index.rows.size()));
  Tally tally;
  std::vector<ImportRow> rows;
  for (std::size_t next = 0; next < index.rows.size();) {
    rows.clear();
    for (; next < index.rows.size() && rows.size() < kBatchRows; ++next) {
      rows.push_back(read_indexed_row(file, index.rows[next]));
    }
    if (const auto refused = write_batch(handler, request_id, rows, tally)) {
      progress.finish();
      const ImportRow& row = *refused->row;
      context.err << path << ":" << row.line << ": " << row.spec->type << " " << row.id << ": "
                  << refused->reason << "\n"
                  << "folio import: stopped at line " << row.line << " after " << tally.created
                  << " new and " << tally.present
                  << " already present rows; those stay, and running the same file again "
                     "skips them\n";
      return kExitFindings;
    }
    progress.advance(static_cast<std::int64_t>(rows.size()));
  }
  progress.finish();
  context.out << "imported " << tally.created << " new rows; " << tally.present
              << " were already present with the same values (request id " << request_id << ")\n";
  if (tally.locked_users > 0) {
    context.out << tally.locked_users
                << " imported users had no password: they cannot log in until an admin sets "
                   "one (PATCH /api/v1/users/{id})\n";
  }
  return kExitOk;
}

}  // namespace folio::cli
