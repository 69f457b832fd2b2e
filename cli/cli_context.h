// What every `folio` subcommand gets: the database URL and where to print.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace folio::cli {

struct CliContext {
  std::string database_url;  // --db, else FOLIO_DB, else sqlite under ./data/
  std::vector<std::string> args;  // the subcommand's own arguments
  std::ostream& out;
  std::ostream& err;
};

// The default database: sqlite:///<cwd>/data/folio.db (the data folder is created).
std::string default_database_url();

}  // namespace folio::cli
