// Rows of an import file (`folio import`, JSONL): each line is a row, a creation event, or
// an error with its line number; never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "cli/import_rows.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = folio::cli::parse_import_line(text, 7);
  if (const auto* row = std::get_if<folio::cli::ImportRow>(&parsed)) {
    if (row->line != 7 || row->spec == nullptr) std::abort();
  } else if (std::get<folio::cli::ImportLineError>(parsed).line != 7) {
    std::abort();
  }
  return 0;
}
