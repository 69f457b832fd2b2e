// Collects failures seen on worker threads, to be asserted on the test thread (GoogleTest
// assertions are only reliable there).
#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace folio::testing {

class Failures {
 public:
  void add(std::string message) {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }
  std::vector<std::string> get() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
};

}  // namespace folio::testing
