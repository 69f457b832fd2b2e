// What operators type for --as-of / --since / --until: dates, RFC 3339 times with Z or an
// offset; anything else (and impossible dates) is refused rather than guessed.
#include "events/timestamp.h"

#include <gtest/gtest.h>

namespace folio::events {
namespace {

std::string normalized(std::string_view text) {
  const auto t = parse_timestamp(text);
  return t ? format_timestamp(*t) : "refused";
}

TEST(ParseTimestamp, AcceptsDatesAndRfc3339TimesAndNormalizesToUtc) {
  EXPECT_EQ(normalized("2026-11-28"), "2026-11-28T00:00:00.000Z");
  EXPECT_EQ(normalized("2026-11-28T09:30Z"), "2026-11-28T09:30:00.000Z");
  EXPECT_EQ(normalized("2026-11-28T09:30:15Z"), "2026-11-28T09:30:15.000Z");
  EXPECT_EQ(normalized("2026-11-28 09:30:15.5Z"), "2026-11-28T09:30:15.500Z");
  EXPECT_EQ(normalized("2026-11-28T09:30:15.123+05:30"), "2026-11-28T04:00:15.123Z");
  EXPECT_EQ(normalized("2026-01-01T01:00:00-02:00"), "2026-01-01T03:00:00.000Z");
  EXPECT_EQ(normalized("2999-12-31T23:59:59.999Z"), "2999-12-31T23:59:59.999Z");
}

// Found by fuzz/scalar_parsing_fuzz.cpp: before 1970 the milliseconds came out negative
// ("...:59.-877Z") and the second one too late.
TEST(ParseTimestamp, TimesBefore1970KeepTheirMilliseconds) {
  EXPECT_EQ(normalized("0126-11-28T08:15:00.123Z"), "0126-11-28T08:15:00.123Z");
  EXPECT_EQ(normalized("1969-12-31T23:59:59.999Z"), "1969-12-31T23:59:59.999Z");
}

TEST(ParseTimestamp, RefusesWhatIsNotATime) {
  for (const char* bad :
       {"", "yesterday", "2026-02-30", "2026-13-01", "2026-11-28T24:00Z", "2026-11-28T09:30",
        "2026-11-28T09:30:15.Z", "2026-11-28Tnoon", "2026-11-28T09:30Z trailing", "26-11-28"}) {
    EXPECT_EQ(normalized(bad), "refused") << bad;
  }
}

}  // namespace
}  // namespace folio::events
