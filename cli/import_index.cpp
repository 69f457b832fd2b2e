#include "cli/import_index.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <tuple>

namespace folio::cli {

namespace {

std::uint32_t rank_of(const events::EntitySpec* spec) {
  static const auto order = types_in_reference_order();
  return static_cast<std::uint32_t>(std::find(order.begin(), order.end(), spec) - order.begin());
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

// A row whose type and id an earlier line already had: an error on the later line.
void refuse_repeats(std::vector<IndexedRow>& rows, std::vector<ImportLineError>& errors) {
  std::sort(rows.begin(), rows.end(), [](const IndexedRow& a, const IndexedRow& b) {
    return std::tie(a.rank, a.id, a.line) < std::tie(b.rank, b.id, b.line);
  });
  const auto order = types_in_reference_order();
  std::size_t kept = 0;  // rows[0, kept): the first line of each type and id
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const IndexedRow& row = rows[i];
    if (kept > 0 && rows[kept - 1].rank == row.rank && rows[kept - 1].id == row.id) {
      errors.push_back({row.line, std::string(order[row.rank]->type) + " " +
                                      std::string(row.id.data(), row.id.size()) +
                                      " appears on an earlier line too"});
    } else {
      rows[kept++] = row;
    }
  }
  rows.resize(kept);
}

}  // namespace

ImportIndex index_import_file(std::istream& file) {
  ImportIndex index;
  std::string text;
  std::uint64_t offset = 0;
  for (std::uint64_t line = 1; std::getline(file, text); ++line) {
    const std::uint64_t at = offset;
    offset += text.size() + 1;
    if (is_blank(text)) continue;
    auto parsed = parse_import_line(text, line);
    if (auto* bad = std::get_if<ImportLineError>(&parsed)) {
      index.errors.push_back(std::move(*bad));
      continue;
    }
    const auto& row = std::get<ImportRow>(parsed);
    IndexedRow entry{at, line, rank_of(row.spec), {}};
    std::copy_n(row.id.begin(), std::min(row.id.size(), entry.id.size()), entry.id.begin());
    index.rows.push_back(entry);
  }
  refuse_repeats(index.rows, index.errors);
  std::sort(index.errors.begin(), index.errors.end(),
            [](const auto& a, const auto& b) { return a.line < b.line; });
  std::sort(index.rows.begin(), index.rows.end(), [](const IndexedRow& a, const IndexedRow& b) {
    return std::tie(a.rank, a.line) < std::tie(b.rank, b.line);
  });
  return index;
}

ImportRow read_indexed_row(std::istream& file, const IndexedRow& at) {
  file.clear();
  file.seekg(static_cast<std::streamoff>(at.offset));
  std::string text;
  if (!std::getline(file, text)) {
    throw std::runtime_error("line " + std::to_string(at.line) + " can no longer be read");
  }
  auto parsed = parse_import_line(text, at.line);
  if (auto* row = std::get_if<ImportRow>(&parsed)) return std::move(*row);
  throw std::runtime_error("line " + std::to_string(at.line) + " changed while importing");
}

}  // namespace folio::cli
