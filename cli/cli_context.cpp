#include "cli/cli_context.h"

#include <filesystem>

namespace folio::cli {

std::string default_database_url() {
  const auto data = std::filesystem::current_path() / "data";
  std::filesystem::create_directories(data);
  return "sqlite://" + (data / "folio.db").string();
}

}  // namespace folio::cli
