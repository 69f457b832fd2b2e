#include "events/timestamp.h"

#include <cstdio>
#include <ctime>

namespace folio::events {

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  return format_timestamp(std::chrono::time_point_cast<std::chrono::milliseconds>(t));
}

namespace {
// Writes `value` (0 <= value < 10^digits) as exactly `digits` decimal digits.
char* put_digits(char* out, int value, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + digits;
}
}  // namespace

// By hand rather than with snprintf: every command formats the time of its event, and
// snprintf's format parsing was ~2 % of the event loops on SQLite's PATCH.
std::string format_timestamp(std::chrono::sys_time<std::chrono::milliseconds> t) {
  using namespace std::chrono;
  // Floored, not truncated: before 1970 the milliseconds stay 0..999 of the second before.
  const auto day = floor<days>(t);
  const hh_mm_ss<milliseconds> time{t - day};
  // Outside years 0-9999 (not RFC 3339) printed as before, by snprintf's %04d; tested on
  // the instant, since year_month_day wraps for instants tens of millennia away.
  constexpr sys_days kYear0{year{0} / January / 1};
  constexpr sys_days kYear10000{year{10000} / January / 1};
  if (t < kYear0 || t >= kYear10000) {
    std::tm utc{};
    const std::time_t secs = static_cast<std::time_t>(floor<seconds>(t).time_since_epoch().count());
    gmtime_r(&secs, &utc);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(time.subseconds().count()));
    return buf;
  }
  const year_month_day date{day};
  std::string text(24, '\0');  // 2026-12-08T02:14:17.123Z
  char* out = text.data();
  out = put_digits(out, static_cast<int>(date.year()), 4);
  *out++ = '-';
  out = put_digits(out, static_cast<int>(static_cast<unsigned>(date.month())), 2);
  *out++ = '-';
  out = put_digits(out, static_cast<int>(static_cast<unsigned>(date.day())), 2);
  *out++ = 'T';
  out = put_digits(out, static_cast<int>(time.hours().count()), 2);
  *out++ = ':';
  out = put_digits(out, static_cast<int>(time.minutes().count()), 2);
  *out++ = ':';
  out = put_digits(out, static_cast<int>(time.seconds().count()), 2);
  *out++ = '.';
  out = put_digits(out, static_cast<int>(time.subseconds().count()), 3);
  *out = 'Z';
  return text;
}

namespace {

// Reads exactly `digits` decimal digits at `pos`, advancing it.
bool read_number(std::string_view text, std::size_t& pos, int digits, int& value) {
  if (pos + static_cast<std::size_t>(digits) > text.size()) return false;
  value = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = text[pos++];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return true;
}

bool read_char(std::string_view text, std::size_t& pos, char expected) {
  if (pos >= text.size() || text[pos] != expected) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<std::chrono::sys_time<std::chrono::milliseconds>> parse_timestamp(
    std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  int y = 0, mo = 0, d = 0;
  if (!read_number(text, pos, 4, y) || !read_char(text, pos, '-') ||
      !read_number(text, pos, 2, mo) || !read_char(text, pos, '-') ||
      !read_number(text, pos, 2, d)) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  sys_time<milliseconds> t = sys_days{date};
  if (pos == text.size()) return t;
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
  ++pos;
  int h = 0, mi = 0, s = 0;
  if (!read_number(text, pos, 2, h) || !read_char(text, pos, ':') ||
      !read_number(text, pos, 2, mi) || h > 23 || mi > 59) {
    return std::nullopt;
  }
  t += hours{h} + minutes{mi};
  if (read_char(text, pos, ':')) {
    if (!read_number(text, pos, 2, s) || s > 59) return std::nullopt;
    t += seconds{s};
    if (read_char(text, pos, '.')) {
      int scale = 100, ms = 0, digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        ms += (text[pos++] - '0') * scale;
        scale /= 10;
        ++digits;
      }
      if (digits == 0) return std::nullopt;
      t += milliseconds{ms};
    }
  }
  if (read_char(text, pos, 'Z') || read_char(text, pos, 'z')) {
    return pos == text.size() ? std::optional(t) : std::nullopt;
  }
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool east = text[pos++] == '+';
    int oh = 0, om = 0;
    if (!read_number(text, pos, 2, oh) || !read_char(text, pos, ':') ||
        !read_number(text, pos, 2, om) || pos != text.size() || oh > 23 || om > 59) {
      return std::nullopt;
    }
    const auto offset = hours{oh} + minutes{om};
    return east ? t - offset : t + offset;
  }
  return std::nullopt;
}

std::string now_timestamp() { return format_timestamp(std::chrono::system_clock::now()); }

}  // namespace folio::events
