// money.h: exact decimal strings with two fraction digits, integer cents in arithmetic.
#include "projections/money.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <optional>
#include <string>

#include "tests/support/property.h"

namespace folio::projections {
namespace {

using testing::check_cases;
constexpr int kMoneyCases = 200;  // set explicitly

constexpr std::int64_t kMaxCents = 100'000'000'000'000'000;  // 10^15 currency units

TEST(ParseMoney, ExactTwoFractionDigits) {
  EXPECT_EQ(parse_money("0.00"), 0);
  EXPECT_EQ(parse_money("0.01"), 1);
  EXPECT_EQ(parse_money("1250.00"), 125000);
  EXPECT_EQ(parse_money("1250.5"), std::nullopt);
  EXPECT_EQ(parse_money("-1.50"), -150);
  EXPECT_EQ(parse_money("007.50"), 750);  // leading zeros are harmless
  EXPECT_EQ(parse_money("1000000000000000.00"), kMaxCents);
  EXPECT_EQ(parse_money("-1000000000000000.00"), -kMaxCents);
}

TEST(ParseMoney, RefusesEverythingElse) {
  for (const char* bad : {"", "500.005", "500.5", "500", "500.", ".50", "-.50", "1e3", "1E3",
                          "1,00", "1.0a", "a.00", "1 .00", " 1.00", "1.00 ", "+1.00", "--1.00",
                          "1.-0", "-", ".", "..", "1..00", "1.0.0", "0x1.00", "NaN", "inf",
                          "1000000000000000.01", "99999999999999999999999.00",
                          "18446744073709551616.00"}) {
    EXPECT_EQ(parse_money(bad), std::nullopt) << bad;
  }
}

TEST(FormatMoney, TwoFractionDigits) {
  EXPECT_EQ(format_money(0), "0.00");
  EXPECT_EQ(format_money(5), "0.05");
  EXPECT_EQ(format_money(50), "0.50");
  EXPECT_EQ(format_money(100), "1.00");
  EXPECT_EQ(format_money(125000), "1250.00");
  EXPECT_EQ(format_money(-5), "-0.05");
  EXPECT_EQ(format_money(-12345), "-123.45");
  EXPECT_EQ(format_money(kMaxCents), "1000000000000000.00");
}

TEST(Money, FormatThenParseIsTheIdentity) {
  ASSERT_TRUE(check_cases("format then parse", kMoneyCases, 100, [] {
    // Small amounts and amounts anywhere in the range (resize: inRange alone scales its range
    // with RapidCheck's size).
    const auto cents = *rc::gen::resize(
        100, *rc::gen::arbitrary<bool>() ? rc::gen::inRange<std::int64_t>(-100'000, 100'001)
                                          : rc::gen::inRange<std::int64_t>(-kMaxCents, kMaxCents + 1));
    const std::string text = format_money(cents);
    RC_ASSERT(parse_money(text) == std::optional<std::int64_t>(cents));
    // Canonical: exactly two fraction digits, no leading zeros before them.
    RC_ASSERT(text.size() >= 4u);
    RC_ASSERT(text[text.size() - 3] == '.');
    const std::size_t sign = cents < 0 ? 1 : 0;
    const std::string whole = text.substr(sign, text.size() - 3 - sign);
    RC_ASSERT((whole == "0" || whole.front() != '0'));  // parenthesized: RC_ASSERT would evaluate both sides
  }));
}

TEST(Money, OnlyTwoFractionDigitsParse) {
  ASSERT_TRUE(check_cases("two fraction digits", kMoneyCases, 100, [] {
    const auto whole = *rc::gen::arbitrary<std::uint32_t>();
    const int fraction_digits = *rc::gen::resize(100, rc::gen::inRange(0, 6));
    std::string text = std::to_string(whole);
    if (fraction_digits > 0)
      text += "." + std::string(static_cast<std::size_t>(fraction_digits), '7');
    const auto parsed = parse_money(text);
    if (fraction_digits == 2) {
      RC_ASSERT(parsed == std::optional<std::int64_t>(static_cast<std::int64_t>(whole) * 100 + 77));
    } else {
      RC_ASSERT(!parsed.has_value());
    }
  }));
}

}  // namespace
}  // namespace folio::projections
