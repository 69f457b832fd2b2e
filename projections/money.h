// Exact money: decimal strings with two fraction digits on the wire and in storage,
// integer cents in arithmetic. No floating point anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace folio::projections {

// "1250.00" -> 125000. Accepts an optional leading '-', digits, and exactly two fraction
// digits ("12.5", "12", "1e3", "500.005" and JSON numbers are not money). nullopt otherwise
// or beyond +-10^15.
std::optional<std::int64_t> parse_money(std::string_view text);

// 125000 -> "1250.00"
std::string format_money(std::int64_t cents);

}  // namespace folio::projections
