// Drives a StatementPipe (store/statement_pipe.h) as an event loop would, for tests that
// use one without a loop: flushes, waits for its socket, reads answers.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>

#include "store/statement_pipe.h"

namespace folio::testing {

// Until every statement submitted to `pipe` is answered; a failure when the pipe still owes
// answers after 10 s (a hang guard: the statements take milliseconds).
inline ::testing::AssertionResult drive_until_answered(store::StatementPipe& pipe) {
  bool output_waits = pipe.flush();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pipe.pending() > 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{pipe.socket(), static_cast<short>(POLLIN | (output_waits ? POLLOUT : 0)), 0};
    if (::poll(&fd, 1, 100) < 0) return ::testing::AssertionFailure() << "poll failed";
    if (fd.revents & POLLOUT) output_waits = pipe.flush();
    if (fd.revents & (POLLIN | POLLERR | POLLHUP)) pipe.on_readable();
  }
  if (pipe.pending() > 0) {
    return ::testing::AssertionFailure() << "the pipe did not answer within 10 s";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace folio::testing
