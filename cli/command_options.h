// Option parsing for subcommands, with Boost.Program_options: `--help` prints the usage
// (exit 0); unknown options, missing values and bad numbers print the problem and the
// usage (exit 2).
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_context.h"
#include "events/entity_catalog.h"

namespace folio::cli {

namespace po = boost::program_options;

struct CommandSyntax {
  std::string name;         // "replay": errors start with "folio replay: "
  std::string usage;        // "Usage: folio [--db URL] replay <entity_type> <id> [options]"
  std::string description;  // what the command does, printed under the usage
  std::string epilog;       // printed after the options (exit statuses, examples)
};

// The command's positional arguments, by name, in order.
struct Positionals {
  std::vector<std::string> names;   // e.g. {"entity_type", "id"}
  std::size_t required = SIZE_MAX;  // the first `required` names must be given (all by default)
};

// The parsed options, or nullopt when the command should end now with `exit_code`.
// `--help`/`-h` is added to `options` here; positional arguments are read into
// string values named as in `positionals` (and are not listed as options).
std::optional<po::variables_map> parse_command_options(const CliContext& context,
                                                       const CommandSyntax& syntax,
                                                       po::options_description options,
                                                       const Positionals& positionals,
                                                       int& exit_code);

// The entity type a user named: its type (project_phase) or its URL name (project-phases).
const events::EntitySpec* entity_named(const std::string& name);

// Time option `name` (--as-of, --since, ...) as events' timestamps have it: "" when not
// given; nullopt when it is not YYYY-MM-DD (midnight UTC) or an RFC 3339 time.
std::optional<std::string> time_option(const po::variables_map& values, const char* name);

// Exit statuses shared by the operator commands (docs/operations.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;  // not found, tampering, drift, rejected rows
inline constexpr int kExitUsage = 2;
inline constexpr int kExitStoreError = 3;  // database unreachable or failing

}  // namespace folio::cli
