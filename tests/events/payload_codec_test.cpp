// Payload encoding (cereal portable binary), upcasting of stored payloads, timestamps and
// stream-id parsing: what every stored event relies on to stay readable.
#include "events/payload_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "events/envelope.h"
#include "events/field_value.h"
#include "events/timestamp.h"

using namespace std::string_literals;

namespace folio::test_payloads {

// A payload exercising every kind of field event payloads use.
struct SamplePayload {
  std::string id;
  std::string name;
  std::optional<std::string> note;
  std::optional<std::int64_t> amount;
  std::vector<std::string> tags;
  std::vector<std::int32_t> numbers;
  std::int64_t big = 0;
  double ratio = 0;
  bool flag = false;

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t /*version*/) {
    ar(id, name, note, amount, tags, numbers, big, ratio, flag);
  }
  bool operator==(const SamplePayload&) const = default;
};

// Version 1 of a payload type, exactly as it was when
// tests/events/fixtures/project_renamed_v1.bin was written (see DISABLED_WriteV1Fixture).
// Never change it: the fixture holds its bytes.
struct ProjectRenamedV1 {
  std::string project_id;
  std::string name;
  std::optional<std::string> description;
  std::vector<std::string> tags;
  std::int64_t budget_cents = 0;

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t /*version*/) {
    ar(project_id, name, description, tags, budget_cents);
  }
  bool operator==(const ProjectRenamedV1&) const = default;
};

// Version 2 of the same payload type: adds fields, each with a default for old events.
struct ProjectRenamedV2 {
  std::string project_id;
  std::string name;
  std::optional<std::string> description;
  std::vector<std::string> tags;
  std::int64_t budget_cents = 0;
  std::int32_t priority = 3;                   // since version 2
  std::optional<std::string> color;            // since version 2
  std::vector<std::string> watchers{"owner"};  // since version 2

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    ar(project_id, name, description, tags, budget_cents);
    if (version >= 2) ar(priority, color, watchers);
  }
  bool operator==(const ProjectRenamedV2&) const = default;
};

}  // namespace folio::test_payloads

CEREAL_CLASS_VERSION(folio::test_payloads::SamplePayload, 1);
CEREAL_CLASS_VERSION(folio::test_payloads::ProjectRenamedV1, 1);
CEREAL_CLASS_VERSION(folio::test_payloads::ProjectRenamedV2, 2);

namespace folio::events {
namespace {

using test_payloads::ProjectRenamedV1;
using test_payloads::ProjectRenamedV2;
using test_payloads::SamplePayload;

const std::filesystem::path kFixtures = FOLIO_TEST_FIXTURES_DIR;
const std::filesystem::path kV1Fixture = kFixtures / "project_renamed_v1.bin";

// The value stored in the v1 fixture.
ProjectRenamedV1 v1_fixture_value() {
  ProjectRenamedV1 v;
  v.project_id = "project-0193a5b0-7c1d-7f00-8000-000000000001";
  v.name =
      "Gr\xC3\xBC\xC3\x9F"
      "e\0\xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x9A\x80"s;  // Grüße\0東京 🚀
  v.description = "line one\nline two\0tail"s;
  v.tags = {"alpha", "", "\xC3\xA9t\xC3\xA9"};  // "été"
  v.budget_cents = -1234567890123LL;
  return v;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

SamplePayload sample() {
  SamplePayload p;
  p.id = "project-0193a5b0-7c1d-7f00-8000-00000000abcd";
  p.name = "\0leading NUL, middle \0 and trailing\0"s;
  p.note =
      "Stra\xC3\x9F"
      "e \xE2\x80\x94 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80";
  p.amount = std::numeric_limits<std::int64_t>::min();
  p.tags = {"", "\0"s, "\xFF\xFE raw bytes that are not UTF-8", std::string(300, 'x')};
  p.numbers = {0, -1, 1, std::numeric_limits<std::int32_t>::min(),
               std::numeric_limits<std::int32_t>::max()};
  p.big = std::numeric_limits<std::int64_t>::max();
  p.ratio = -0.125;
  p.flag = true;
  return p;
}

// ---- round trip -------------------------------------------------------------------------

TEST(PayloadCodec, RoundTripsNulBytesNonAsciiOptionalsAndVectors) {
  const SamplePayload original = sample();
  const std::string bytes = encode_payload(original);
  const auto decoded = decode_payload<SamplePayload>(bytes);
  EXPECT_EQ(decoded, original);
  ASSERT_EQ(decoded.name.size(), original.name.size());
  EXPECT_EQ(decoded.name[0], '\0');
  EXPECT_EQ(decoded.tags.at(1), "\0"s);
}

TEST(PayloadCodec, RoundTripsEmptyOptionalsAndEmptyVectors) {
  SamplePayload original;  // every optional empty, every vector empty
  const auto decoded = decode_payload<SamplePayload>(encode_payload(original));
  EXPECT_EQ(decoded, original);
  EXPECT_FALSE(decoded.note.has_value());
  EXPECT_FALSE(decoded.amount.has_value());

  // An empty optional must not decode as an engaged one with an empty value.
  original.note = "";
  const auto engaged = decode_payload<SamplePayload>(encode_payload(original));
  ASSERT_TRUE(engaged.note.has_value());
  EXPECT_EQ(*engaged.note, "");
}

// RapidCheck has no std::optional generator here: build the optionals from flags.
RC_GTEST_PROP(PayloadCodecProperty, ArbitraryValuesRoundTrip,
              (const std::string& id, const std::string& name, bool has_note,
               const std::string& note, bool has_amount, std::int64_t amount,
               const std::vector<std::string>& tags, const std::vector<std::int32_t>& numbers,
               std::int64_t big, bool flag)) {
  SamplePayload p;
  p.id = id;
  p.name = name + std::string(1, '\0') + name;
  if (has_note) p.note = note;
  if (has_amount) p.amount = amount;
  p.tags = tags;
  p.numbers = numbers;
  p.big = big;
  p.flag = flag;
  RC_ASSERT(decode_payload<SamplePayload>(encode_payload(p)) == p);
}

// ---- upcasting --------------------------------------------------------------------------

// Documents how the fixture was made. Run it only when adding a new fixture, never to
// "update" this one (old stored events do not change either):
//   build/tests/folio_events_tests --gtest_also_run_disabled_tests
//       --gtest_filter='*DISABLED_WriteV1Fixture'
TEST(PayloadUpcasting, DISABLED_WriteV1Fixture) {
  std::filesystem::create_directories(kFixtures);
  std::ofstream out(kV1Fixture, std::ios::binary | std::ios::trunc);
  out << encode_payload(v1_fixture_value());
  ASSERT_TRUE(out.good());
}

TEST(PayloadUpcasting, V1FixtureStillDecodesAsV1) {
  const std::string bytes = read_file(kV1Fixture);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(decode_payload<ProjectRenamedV1>(bytes), v1_fixture_value());
}

TEST(PayloadUpcasting, V1BytesDecodeAsV2WithDefaultsForNewFields) {
  const std::string bytes = read_file(kV1Fixture);
  const auto v2 = decode_payload<ProjectRenamedV2>(bytes);
  const auto v1 = v1_fixture_value();
  EXPECT_EQ(v2.project_id, v1.project_id);
  EXPECT_EQ(v2.name, v1.name);
  EXPECT_EQ(v2.description, v1.description);
  EXPECT_EQ(v2.tags, v1.tags);
  EXPECT_EQ(v2.budget_cents, v1.budget_cents);
  // Fields added in version 2 take their defaults.
  EXPECT_EQ(v2.priority, 3);
  EXPECT_FALSE(v2.color.has_value());
  EXPECT_EQ(v2.watchers, std::vector<std::string>{"owner"});
}

TEST(PayloadUpcasting, V2RoundTripsItsNewFields) {
  ProjectRenamedV2 v;
  v.project_id = "project-1";
  v.name = "n\0m"s;
  v.priority = -7;
  v.color = "\xE7\xB4\xAB";  // 紫
  v.watchers = {};
  const std::string bytes = encode_payload(v);
  EXPECT_EQ(decode_payload<ProjectRenamedV2>(bytes), v);
}

// ---- undecodable bytes ------------------------------------------------------------------

TEST(PayloadDecode, EmptyBytesThrowPayloadDecodeError) {
  EXPECT_THROW(decode_payload<SamplePayload>(""), PayloadDecodeError);
}

TEST(PayloadDecode, EveryTruncationThrowsPayloadDecodeError) {
  const std::string bytes = encode_payload(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(decode_payload<SamplePayload>(bytes.substr(0, n)), PayloadDecodeError)
        << "prefix of " << n << " of " << bytes.size() << " bytes";
  }
}

TEST(PayloadDecode, GarbageBytesThrowPayloadDecodeError) {
  EXPECT_THROW(decode_payload<SamplePayload>("this is not a payload"), PayloadDecodeError);
  EXPECT_THROW(decode_payload<ProjectRenamedV2>("\x01\x02"s), PayloadDecodeError);
}

TEST(PayloadDecode, ImpossibleLengthPrefixThrowsPayloadDecodeError) {
  // Endianness flag, class version 1, then a string length of 2^64-1: a corrupt row must
  // surface as PayloadDecodeError (StoreCorrupt upstream), not as std::length_error or
  // std::bad_alloc.
  const std::string huge = "\x01"s + "\x01\x00\x00\x00"s + std::string(8, '\xFF');
  EXPECT_THROW(decode_payload<SamplePayload>(huge), PayloadDecodeError);
  // A length of 2^40 (1 TiB) with nothing after it.
  const std::string large = "\x01"s + "\x01\x00\x00\x00"s + "\x00\x00\x00\x00\x00\x01\x00\x00"s;
  EXPECT_THROW(decode_payload<SamplePayload>(large), PayloadDecodeError);
}

// Found by fuzz/event_payload_fuzz.cpp.
TEST(PayloadDecode, ALengthLongerThanThePayloadIsRefusedBeforeItIsAllocated) {
  // A string length of 1 GiB, possible to allocate, in a payload of a few bytes: refused as
  // damage (cereal alone would allocate the gigabyte first).
  const std::string gigabyte =
      "\x01"s + "\x01\x00\x00\x00"s + "\x00\x00\x00\x40\x00\x00\x00\x00"s + "abc";
  EXPECT_THROW(decode_payload<SamplePayload>(gigabyte), PayloadDecodeError);
}

TEST(PayloadDecode, ABooleanThatIsNeitherZeroNorOneIsRefused) {
  std::string bytes = encode_payload(EntityChanges{{{"active", true}}});
  ASSERT_EQ(bytes.back(), '\x01');  // the boolean is the last byte
  bytes.back() = '\x35';
  EXPECT_THROW(decode_payload<EntityChanges>(bytes), PayloadDecodeError);
  bytes.back() = '\x00';
  EXPECT_EQ(decode_payload<EntityChanges>(bytes).fields.at("active"), FieldValue(false));
}

// ---- timestamps -------------------------------------------------------------------------

// Runs with a local time zone of UTC+05:30, whatever the machine's, so local-time
// formatting cannot pass by accident.
class Timestamp : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    if (tz != nullptr) saved_tz_ = tz;
    ::setenv("TZ", "XST-05:30", 1);
    ::tzset();
  }
  void TearDown() override {
    if (saved_tz_) {
      ::setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> saved_tz_;
};

using std::chrono::milliseconds;
using std::chrono::system_clock;

TEST_F(Timestamp, EpochIsFormattedInUtcWithMilliseconds) {
  EXPECT_EQ(format_timestamp(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

TEST_F(Timestamp, KeepsMillisecondsAndTruncatesFinerPrecision) {
  using namespace std::chrono;
  const system_clock::time_point t{milliseconds(1234567890123) + microseconds(999)};
  EXPECT_EQ(format_timestamp(t), "2009-02-13T23:31:30.123Z");
  EXPECT_EQ(format_timestamp(system_clock::time_point{milliseconds(999)}),
            "1970-01-01T00:00:00.999Z");
  EXPECT_EQ(format_timestamp(system_clock::time_point{milliseconds(7)}),
            "1970-01-01T00:00:00.007Z");
}

TEST_F(Timestamp, FormatsCalendarDatesInUtc) {
  using namespace std::chrono;
  const system_clock::time_point leap_day = sys_days{year{2024} / February / 29} + hours{23} +
                                            minutes{59} + seconds{59} + milliseconds{1};
  EXPECT_EQ(format_timestamp(leap_day), "2024-02-29T23:59:59.001Z");
  const system_clock::time_point example =
      sys_days{year{2026} / November / 28} + hours{8} + minutes{15} + milliseconds{123};
  EXPECT_EQ(format_timestamp(example), "2026-11-28T08:15:00.123Z");
}

TEST_F(Timestamp, NowIsCurrentUtcTimeInTheSameFormat) {
  const std::string before = format_timestamp(system_clock::now());
  const std::string now = now_timestamp();
  const std::string after = format_timestamp(system_clock::now());
  static const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(now, rfc3339)) << now;
  // Fixed-width UTC strings order like the instants they name.
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

// ---- stream ids -------------------------------------------------------------------------

TEST(EntityTypeOfStream, IsThePartBeforeTheFirstDash) {
  EXPECT_EQ(entity_type_of_stream("project_phase-0193a5b0-7c1d-7f00-8000-000000000001"),
            "project_phase");
  EXPECT_EQ(entity_type_of_stream("project-a-b-c"), "project");
  EXPECT_EQ(entity_type_of_stream("user-"), "user");
}

TEST(EntityTypeOfStream, IsEmptyWithoutAnEntityType) {
  EXPECT_EQ(entity_type_of_stream("nodash"), "");
  EXPECT_EQ(entity_type_of_stream(""), "");
  EXPECT_EQ(entity_type_of_stream("-0193a5b0"), "");
}

}  // namespace
}  // namespace folio::events
