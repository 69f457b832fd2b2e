// What operators type for --as-of / --since / --until: dates, RFC 3339 times with Z or an
// offset; anything else (and impossible dates) is refused rather than guessed.
#include "events/timestamp.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdio>
#include <ctime>

#include "tests/support/property.h"

namespace folio::events {
namespace {

using folio::testing::check_cases;
using folio::testing::kPropertyCases;

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

// The C library's reading of the same instant: gmtime_r and snprintf, as format_timestamp
// itself did before it wrote the digits by hand.
std::string c_library_timestamp(std::int64_t ms_since_epoch) {
  const std::int64_t ms = ((ms_since_epoch % 1000) + 1000) % 1000;
  const std::time_t secs = static_cast<std::time_t>((ms_since_epoch - ms) / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms));
  return buf;
}

TEST(FormatTimestamp, WritesWhatTheCLibraryReadsForAnyInstantOfYears0To9999) {
  using namespace std::chrono;
  constexpr std::int64_t kYear0 = -62167219200000;  // 0000-01-01T00:00:00Z in ms
  constexpr std::int64_t kYear10000 = 253402300800000;
  EXPECT_TRUE(check_cases("timestamps", kPropertyCases, 100, [] {
    const std::int64_t ms = *rc::gen::inRange<std::int64_t>(kYear0, kYear10000);
    RC_ASSERT(format_timestamp(sys_time<milliseconds>{milliseconds{ms}}) ==
              c_library_timestamp(ms));
  }));
  EXPECT_EQ(format_timestamp(sys_time<milliseconds>{milliseconds{kYear0}}),
            "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(sys_time<milliseconds>{milliseconds{kYear10000 - 1}}),
            "9999-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace folio::events
