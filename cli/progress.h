// Progress of a long job (replay, export, import, rebuild, verify) on standard error:
// count, rate and, when the total is known, percentage and ETA. Prints only when the
// stream is a terminal (so logs and pipes stay clean), at most a few times a second, on
// one line rewritten in place; `finish` always prints the one-line summary.
//
// Not thread-safe: one job, one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace folio::cli {

class Progress {
 public:
  // `unit` names what is counted ("events", "rows", "streams"). `live` defaults to
  // whether standard error is a terminal.
  Progress(std::ostream& out, std::string label, std::string unit,
           std::optional<std::int64_t> total = std::nullopt,
           std::optional<bool> live = std::nullopt);

  void set_total(std::int64_t total) { total_ = total; }
  // Counts `n` more units done and redraws the line when it is time to.
  void advance(std::int64_t n = 1);
  // Sets the count (for jobs that resume from a checkpoint) and redraws when due.
  void set_done(std::int64_t done);
  // Ends the line: "<label>: <done> <unit> in <seconds> s (<rate>/s)". Idempotent.
  void finish();
  // Ends without that summary, erasing the live line: for a job that prints its own
  // (so that its time is reported once). Idempotent.
  void clear();

  std::int64_t done() const { return done_; }
  double rate_per_second() const;

 private:
  void maybe_draw();
  void draw(bool final_line);

  std::ostream& out_;
  std::string label_;
  std::string unit_;
  std::optional<std::int64_t> total_;
  bool live_;
  bool finished_ = false;
  std::int64_t done_ = 0;
  std::int64_t done_at_start_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1,234,567"
std::string with_thousands(std::int64_t n);

}  // namespace folio::cli
