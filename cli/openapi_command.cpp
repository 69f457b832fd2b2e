#include "cli/openapi_command.h"

#include <ostream>

#include "http/openapi.h"

namespace folio::cli {

int run_openapi_command(const CliContext& context) {
  if (!context.args.empty()) {
    const bool help = context.args[0] == "--help" || context.args[0] == "-h";
    (help ? context.out : context.err)
        << "Usage: folio openapi\n\nPrints the OpenAPI 3.1 document of the HTTP API (the one "
           "served at /api/v1/openapi.json), generated from the entity catalog.\n";
    return help ? 0 : 2;
  }
  context.out << boost::json::serialize(http::openapi_document()) << "\n";
  return 0;
}

}  // namespace folio::cli
