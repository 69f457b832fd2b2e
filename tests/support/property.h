// RapidCheck properties with an explicit number of cases (RapidCheck's own default can be
// changed from the environment; these suites state theirs).
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <functional>
#include <sstream>
#include <string>

namespace folio::testing {

// Cases per property unless a suite states more: the project's floor (at least 100 each).
constexpr int kPropertyCases = 100;

// Runs `property` until `cases` cases passed (RapidCheck's size grows up to `max_size`), or
// fails with the shrunk counterexample.
inline ::testing::AssertionResult check_cases(const std::string& name, int cases, int max_size,
                                              const std::function<void()>& property) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;  // keeps the seed
  params.maxSuccess = cases;
  params.maxSize = max_size;
  rc::detail::TestMetadata metadata;
  metadata.id = name;
  metadata.description = name;
  const auto result =
      rc::detail::checkProperty(rc::detail::toProperty([&] { property(); }), metadata, params);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  if (!result.template is<rc::detail::SuccessResult>()) {
    return ::testing::AssertionFailure() << message.str();
  }
  const int passed = result.template get<rc::detail::SuccessResult>().numSuccess;
  if (passed != cases) {
    return ::testing::AssertionFailure() << "only " << passed << " of " << cases << " cases ran";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace folio::testing
