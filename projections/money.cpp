#include "projections/money.h"

#include <cstdlib>

namespace folio::projections {

namespace {
constexpr std::int64_t kMaxCents = 100'000'000'000'000'000;  // 10^15 currency units
}

std::optional<std::int64_t> parse_money(std::string_view text) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || text.size() - dot != 3) return std::nullopt;
  std::int64_t cents = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == dot) continue;
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    cents = cents * 10 + (c - '0');
    if (cents > kMaxCents) return std::nullopt;
  }
  return negative ? -cents : cents;
}

std::string format_money(std::int64_t cents) {
  const bool negative = cents < 0;
  const std::int64_t magnitude = negative ? -cents : cents;
  std::string fraction = std::to_string(magnitude % 100);
  if (fraction.size() < 2) fraction.insert(0, "0");
  return (negative ? "-" : "") + std::to_string(magnitude / 100) + "." + fraction;
}

}  // namespace folio::projections
