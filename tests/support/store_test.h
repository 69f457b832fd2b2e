// GoogleTest helpers shared by the store suites: a fixture parameterised by backend that
// gives every test a fresh migrated database and a store on it, event builders, printers.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/event_store.h"
#include "tests/support/test_database.h"

namespace folio::store {

inline const char* status_name(AppendResult::Status s) {
  switch (s) {
    case AppendResult::Status::appended:
      return "appended";
    case AppendResult::Status::duplicate:
      return "duplicate";
    case AppendResult::Status::version_mismatch:
      return "version_mismatch";
  }
  return "?";
}

inline void PrintTo(const AppendResult& r, std::ostream* os) {
  *os << "{" << status_name(r.status) << ", stream_version=" << r.stream_version
      << ", positions=" << r.first_position << ".." << r.last_position << "}";
}

inline void PrintTo(AppendResult::Status s, std::ostream* os) { *os << status_name(s); }

}  // namespace folio::store

namespace folio::events {

inline void PrintTo(const RecordedEvent& e, std::ostream* os) {
  *os << "{" << e.stream_id << " v" << e.stream_version << " @" << e.global_position << " "
      << e.event_type << "/" << e.schema_version << " payload " << e.payload.size() << " bytes, "
      << e.recorded_at << ", user=" << e.metadata.user_id << " request=" << e.metadata.request_id
      << " command=" << e.metadata.command_id << "}";
}

}  // namespace folio::events

namespace folio::testing {

// Field-wise comparisons (envelope.h's defaulted RecordedEvent::operator== needs an
// EventMetadata::operator==, which is missing, so it is deleted). Metadata compares the
// fields that identify who and what caused an append; the instant it was recorded is
// RecordedEvent::recorded_at.
inline bool same_metadata(const events::EventMetadata& a, const events::EventMetadata& b) {
  return a.user_id == b.user_id && a.request_id == b.request_id && a.command_id == b.command_id;
}

inline bool same_event(const events::RecordedEvent& a, const events::RecordedEvent& b) {
  return a.stream_id == b.stream_id && a.stream_version == b.stream_version &&
         a.global_position == b.global_position && a.event_type == b.event_type &&
         a.schema_version == b.schema_version && a.payload == b.payload &&
         a.recorded_at == b.recorded_at && same_metadata(a.metadata, b.metadata);
}

// EXPECT_TRUE(SameEvents(actual, expected)): equal lists, else the first difference.
inline ::testing::AssertionResult SameEvents(const std::vector<events::RecordedEvent>& actual,
                                             const std::vector<events::RecordedEvent>& expected) {
  for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    if (!same_event(actual[i], expected[i])) {
      return ::testing::AssertionFailure()
             << "event " << i << " differs: got " << ::testing::PrintToString(actual[i])
             << ", want " << ::testing::PrintToString(expected[i]);
    }
  }
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "got " << actual.size() << " events, want " << expected.size();
  }
  return ::testing::AssertionSuccess();
}

inline std::vector<Backend> all_backends() { return {Backend::sqlite, Backend::postgres}; }

// Names parameterised instances ".../Sqlite" and ".../Postgres" (the ctest label pgtest
// is attached by that suffix).
struct BackendName {
  std::string operator()(const ::testing::TestParamInfo<Backend>& info) const {
    return backend_name(info.param);
  }
};

inline events::NewEvent make_event(std::string type, std::string payload,
                                   std::int32_t schema_version = 1) {
  events::NewEvent e;
  e.event_type = std::move(type);
  e.schema_version = schema_version;
  e.payload = std::move(payload);
  return e;
}

// `n` events "<tag>#1".."<tag>#n" of type ProjectUpdated.
inline std::vector<events::NewEvent> make_events(int n, const std::string& tag) {
  std::vector<events::NewEvent> out;
  for (int i = 1; i <= n; ++i) {
    out.push_back(make_event("ProjectUpdated", tag + "#" + std::to_string(i)));
  }
  return out;
}

inline events::EventMetadata make_metadata(std::string command_id = "",
                                           std::string user_id = "user-1",
                                           std::string request_id = "request-1") {
  return {std::move(user_id), std::move(request_id), std::move(command_id)};
}

// What a test's unit of work throws on purpose, to check that the store rolls it back and
// rethrows.
struct WorkFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A guarded write for tests of writes that may change nothing: sets the access epoch to $1 if
// it is $2 (one row changed, or none).
inline constexpr const char* kGuardedRow = "UPDATE access_epoch SET epoch = $1 WHERE epoch = $2";

// Every test gets a fresh migrated database of the parameter's backend and a store on it.

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    try {
      db_ = TestDatabase::create_migrated(GetParam());
      store_ = db_->open_store(store_options());
    } catch (const std::exception& e) {
      FAIL() << "cannot set up a fresh " << backend_name(GetParam()) << " database: " << e.what();
    }
  }

  virtual store::StoreOptions store_options() const { return {}; }

  store::AppendResult append(const std::string& stream, store::ExpectedVersion expected,
                             const std::vector<events::NewEvent>& events,
                             const events::EventMetadata& metadata = make_metadata()) {
    return store_->append(stream, expected, events, metadata);
  }

  std::vector<events::RecordedEvent> everything() { return store_->read_all(0, 1'000'000); }

  // The access epoch (migration 0006): a one-row table the append_with tests use as the
  // row written with an event, guarded by its value as a read model's row by its version.
  std::int64_t access_epoch() {
    std::int64_t value = 0;
    store_->transact(store::Access::read_statement, [&](store::Transaction& tx) {
      value = std::get<std::int64_t>(tx.query("SELECT epoch FROM access_epoch", {}).at(0).at(0));
      return store::Verdict::commit;
    });
    return value;
  }

  // Declared in this order so the store closes before its database is removed.
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<store::EventStore> store_;
};

}  // namespace folio::testing
