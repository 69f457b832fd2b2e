#include "cli/import_command.h"

#include <algorithm>
#include <fstream>
#include <ostream>
#include <set>

#include "cli/command_options.h"
#include "cli/import_rows.h"
#include "cli/progress.h"
#include "commands/command_handler.h"
#include "commands/validation.h"
#include "events/timestamp.h"
#include "store/event_store.h"

namespace folio::cli {

namespace {

const CommandSyntax kSyntax{
    "import",
    "Usage: folio [--db URL] import <file.jsonl> [--check]",
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

std::string describe(const commands::Outcome& outcome) {
  using Kind = commands::Outcome::Kind;
  switch (outcome.kind) {
    case Kind::validation:
      return describe_field_errors(outcome.errors);
    case Kind::constraint:
      return outcome.constraint.message +
             (outcome.constraint.other_entity_id.empty()
                  ? ""
                  : " (" + outcome.constraint.other_entity_type + " " +
                        outcome.constraint.other_entity_id + ")");
    case Kind::conflict:
      return "changed concurrently (version " +
             std::to_string(outcome.conflict.current_version) + ")";
    default:
      return outcome.message;
  }
}

}  // namespace

int run_import_command(const CliContext& context) {
  po::options_description options("Options");
  options.add_options()
      ("check", po::bool_switch(), "only check every line (nothing is written)");
  int exit_code = kExitOk;
  const auto values = parse_command_options(context, kSyntax, options, {{"file"}}, exit_code);
  if (!values) return exit_code;
  const std::string path = (*values)["file"].as<std::string>();
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    context.err << "folio import: cannot read " << path << "\n";
    return kExitUsage;
  }

  // Pass 1: every line, nothing written.
  std::vector<ImportRow> rows;
  std::vector<ImportLineError> errors;
  std::set<std::pair<std::string_view, std::string>> seen;
  std::string text;
  for (std::size_t line = 1; std::getline(file, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed = parse_import_line(text, line);
    if (auto* bad = std::get_if<ImportLineError>(&parsed)) {
      errors.push_back(std::move(*bad));
      continue;
    }
    auto& row = std::get<ImportRow>(parsed);
    if (!seen.emplace(row.spec->type, row.id).second) {
      errors.push_back({line, std::string(row.spec->type) + " " + row.id +
                                  " appears on an earlier line too"});
      continue;
    }
    rows.push_back(std::move(row));
  }
  if (!errors.empty()) {
    for (std::size_t i = 0; i < errors.size() && i < kMaxReportedErrors; ++i) {
      context.err << path << ":" << errors[i].line << ": " << errors[i].message << "\n";
    }
    if (errors.size() > kMaxReportedErrors) {
      context.err << "... and " << errors.size() - kMaxReportedErrors << " more bad lines\n";
    }
    context.err << "folio import: " << errors.size() << " bad line"
                << (errors.size() == 1 ? "" : "s") << "; nothing was imported\n";
    return kExitFindings;
  }
  context.out << path << ": " << rows.size() << " rows checked\n";
  if ((*values)["check"].as<bool>()) return kExitOk;

  // Pass 2: parents first, each row its own idempotent create.
  std::stable_sort(rows.begin(), rows.end(), [order = types_in_reference_order()](
                                                  const ImportRow& a, const ImportRow& b) {
    auto rank = [&](const events::EntitySpec* s) {
      return std::find(order.begin(), order.end(), s) - order.begin();
    };
    return rank(a.spec) < rank(b.spec);
  });
  auto store = store::open_event_store(context.database_url, {.connections = 1});
  commands::CommandHandler handler(*store);
  const std::string request_id = "import-" + commands::new_id();
  Progress progress(context.err, "import", "rows", static_cast<std::int64_t>(rows.size()));
  std::int64_t created = 0;
  std::int64_t present = 0;
  std::int64_t locked_users = 0;
  for (const auto& row : rows) {
    const commands::CommandContext command_context{
        commands::Actor::system_actor(), request_id,
        "import:" + std::string(row.spec->type) + ":" + row.id};
    const auto outcome =
        handler.create(command_context, {row.spec, row.id, std::nullopt, row.fields});
    if (!outcome.ok()) {
      progress.finish();
      context.err << path << ":" << row.line << ": " << row.spec->type << " " << row.id << ": "
                  << describe(outcome) << "\n"
                  << "folio import: stopped at line " << row.line << " after " << created
                  << " new and " << present
                  << " already present rows; those stay, and running the same file again "
                     "skips them\n";
      return kExitFindings;
    }
    (outcome.created ? created : present) += 1;
    if (outcome.created && row.locked_user) ++locked_users;
    progress.advance();
  }
  progress.finish();
  context.out << "imported " << created << " new rows; " << present
              << " were already present with the same values (request id " << request_id
              << ")\n";
  if (locked_users > 0) {
    context.out << locked_users << " imported users had no password: they cannot log in "
                                   "until an admin sets one (PATCH /api/v1/users/{id})\n";
  }
  return kExitOk;
}

}  // namespace folio::cli
