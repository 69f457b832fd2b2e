#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>
#include <ostream>

namespace folio::cli {

namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(200);

std::string duration_text(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}

}  // namespace

std::string with_thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

Progress::Progress(std::ostream& out, std::string label, std::string unit,
                   std::optional<std::int64_t> total, std::optional<bool> live)
    : out_(out),
      label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      live_(live.value_or(::isatty(STDERR_FILENO) == 1)),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_) {}

void Progress::advance(std::int64_t n) {
  done_ += n;
  maybe_draw();
}

void Progress::set_done(std::int64_t done) {
  if (done_ == 0 && done_at_start_ == 0) done_at_start_ = done;  // resumed: rate counts new work
  done_ = done;
  maybe_draw();
}

double Progress::rate_per_second() const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return seconds > 0 ? static_cast<double>(done_ - done_at_start_) / seconds : 0.0;
}

void Progress::maybe_draw() {
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  draw(false);
}

void Progress::draw(bool final_line) {
  const double rate = rate_per_second();
  std::string line = label_ + ": " + with_thousands(done_);
  if (total_ && !final_line) {
    line += " / " + with_thousands(*total_) + " " + unit_;
    if (*total_ > 0) {
      line += " (" + std::to_string(done_ * 100 / *total_) + "%)";
    }
  } else {
    line += " " + unit_;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (final_line) {
    char text[64];
    std::snprintf(text, sizeof text, " in %.1f s", seconds);
    line += text;
  }
  if (seconds >= 0.1) line += ", " + with_thousands(static_cast<std::int64_t>(rate)) + "/s";
  if (total_ && !final_line && rate > 0 && *total_ > done_) {
    line += ", ETA " + duration_text(static_cast<double>(*total_ - done_) / rate);
  }
  if (live_) {
    out_ << "\r\033[K" << line << (final_line ? "\n" : "") << std::flush;
  } else {
    out_ << line << "\n";
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::clear() {
  if (finished_) return;
  finished_ = true;
  if (live_) out_ << "\r\033[K" << std::flush;
}

}  // namespace folio::cli
