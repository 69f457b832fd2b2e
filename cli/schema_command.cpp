#include "cli/schema_command.h"

#include <ostream>

#include "projections/read_model.h"

namespace folio::cli {

int run_schema_command(const CliContext& context) {
  const auto& args = context.args;
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    context.out << "Usage: folio schema read-models [--down]\n"
                   "\n"
                   "Prints the SQL of the read-model tables, generated from the entity\n"
                   "descriptions (events/entity_catalog.cpp). Developers write it to\n"
                   "migrations/{sqlite,postgres}/0002_read_models.{up,down}.sql after changing\n"
                   "an entity; a test fails while the files and the catalog disagree.\n";
    return 0;
  }
  if (args.empty() || args[0] != "read-models" || args.size() > 2 ||
      (args.size() == 2 && args[1] != "--down")) {
    context.err << "Usage: folio schema read-models [--down]\n";
    return 2;
  }
  context.out << (args.size() == 2 ? projections::read_model_ddl_down()
                                   : projections::read_model_ddl_up());
  return 0;
}

}  // namespace folio::cli
