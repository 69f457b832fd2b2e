// Pass 1 of `folio import`: every line of the file checked, and where each good row is, so
// that pass 2 can read them again in reference order without holding them all in memory
// (a million rows keep about 56 MB here, not their parsed fields).
#pragma once

#include <array>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "cli/import_rows.h"

namespace folio::cli {

// One good row of the file: where it starts, and what it is.
struct IndexedRow {
  std::uint64_t offset = 0;   // byte offset of the line in the file
  std::uint64_t line = 0;     // 1-based line number
  std::uint32_t rank = 0;     // the entity type's place in types_in_reference_order()
  std::array<char, 36> id{};  // a lower-case UUID (parse_import_line checks it)
};

struct ImportIndex {
  std::vector<IndexedRow> rows;         // parents first, then in file order
  std::vector<ImportLineError> errors;  // in line order; all of them
};

// Reads `file` to its end: parses every line (parse_import_line), refuses a type and id
// seen on an earlier line, and orders the good rows for writing.
ImportIndex index_import_file(std::istream& file);

// Reads the row at `at` again.
ImportRow read_indexed_row(std::istream& file, const IndexedRow& at);

}  // namespace folio::cli
