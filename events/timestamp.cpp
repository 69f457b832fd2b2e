#include "events/timestamp.h"

#include <cstdio>
#include <ctime>

namespace folio::events {

std::string format_timestamp(std::chrono::system_clock::time_point t) {
  return format_timestamp(std::chrono::time_point_cast<std::chrono::milliseconds>(t));
}

std::string format_timestamp(std::chrono::sys_time<std::chrono::milliseconds> t) {
  using namespace std::chrono;
  // Floored, not truncated: before 1970 the milliseconds stay 0..999 of the second before.
  const auto whole = floor<seconds>(t);
  const auto ms = (t - whole).count();
  const std::time_t secs = static_cast<std::time_t>(whole.time_since_epoch().count());
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms));
  return buf;
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
