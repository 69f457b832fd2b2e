// Model-based property test: random sequences of appends from several simulated clients,
// checked step by step against a plain in-memory model of the EventStore contract.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <chrono>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "store/event_store.h"
#include "tests/support/property.h"
#include "tests/support/store_test.h"

namespace folio::testing {
namespace {

using events::EventMetadata;
using events::NewEvent;
using events::RecordedEvent;
using store::AppendResult;
using store::ExpectedVersion;
using Status = AppendResult::Status;

constexpr int kMaxAppends = 50;  // RapidCheck's size bounds the number of appends per case
constexpr int kClients = 3;
constexpr int kStreams = 3;

// How a client chooses the expected version of its append.
enum class Expect {
  remembered,  // the version it last saw (stale if someone appended since)
  fresh,       // reads the stream's version right before appending
  no_stream,
  any,
  arbitrary,  // some exact version 1..6, often wrong (ahead or behind)
};

enum class Command {
  none,    // no command id
  fresh,   // a new command id
  repeat,  // a command id used earlier in this case (possibly on another stream)
};

struct Op {
  int client = 0;
  int stream = 0;
  Expect expect = Expect::remembered;
  int arbitrary_version = 1;
  int events = 1;
  Command command = Command::none;
  int repeat_pick = 0;
};

const char* name(Expect e) {
  switch (e) {
    case Expect::remembered:
      return "remembered";
    case Expect::fresh:
      return "fresh";
    case Expect::no_stream:
      return "no_stream";
    case Expect::any:
      return "any";
    case Expect::arbitrary:
      return "arbitrary";
  }
  return "?";
}

const char* name(Command c) {
  switch (c) {
    case Command::none:
      return "none";
    case Command::fresh:
      return "fresh";
    case Command::repeat:
      return "repeat";
  }
  return "?";
}

// Shown in RapidCheck's counterexamples.
void showValue(const Op& op, std::ostream& os) {
  os << "{client " << op.client << ", stream " << op.stream << ", expect " << name(op.expect);
  if (op.expect == Expect::arbitrary) os << " " << op.arbitrary_version;
  os << ", " << op.events << " events, command " << name(op.command);
  if (op.command == Command::repeat) os << " #" << op.repeat_pick;
  os << "}";
}

rc::Gen<Op> gen_op() {
  using namespace rc;
  return gen::build<Op>(
      gen::set(&Op::client, gen::inRange(0, kClients)),
      gen::set(&Op::stream, gen::inRange(0, kStreams)),
      gen::set(&Op::expect, gen::weightedElement<Expect>({{4, Expect::remembered},
                                                          {3, Expect::fresh},
                                                          {1, Expect::no_stream},
                                                          {1, Expect::any},
                                                          {1, Expect::arbitrary}})),
      gen::set(&Op::arbitrary_version, gen::inRange(1, 7)),
      gen::set(&Op::events, gen::inRange(1, 4)),
      gen::set(&Op::command, gen::weightedElement<Command>(
                                 {{3, Command::none}, {2, Command::fresh}, {2, Command::repeat}})),
      gen::set(&Op::repeat_pick, gen::inRange(0, 1000)));
}

// The contract, in memory.
struct Model {
  struct Event {
    std::string stream_id;
    std::int64_t stream_version;
    NewEvent event;
    EventMetadata metadata;
  };
  std::map<std::string, std::vector<Event>> streams;
  std::vector<Event> log;  // in append order
  // (stream, command id) -> the result of the append that carried it.
  std::map<std::pair<std::string, std::string>, AppendResult> commands;

  std::int64_t version(const std::string& stream) const {
    const auto it = streams.find(stream);
    return it == streams.end() ? 0 : static_cast<std::int64_t>(it->second.size());
  }
};

// Outcome counts over all cases of one backend, to show the generator reaches every
// branch of the contract.
struct Coverage {
  int appended = 0;
  int duplicate = 0;
  int mismatch = 0;
  int stale_mismatch = 0;  // a remembered version that had gone stale
};

class EventStoreModel : public StoreTest {};

TEST_P(EventStoreModel, AppendsBehaveLikeTheModel) {
  store::EventStore& store = *store_;
  int case_number = 0;
  std::int64_t log_end = 0;  // last global position of all earlier cases
  Coverage coverage;
  const auto started = std::chrono::steady_clock::now();

  const auto property = [&](const std::vector<Op>& ops) {
    const int c = ++case_number;
    // Catch up with the log (earlier cases, including runs made while shrinking).
    for (auto page = store.read_all(log_end, 1000); !page.empty();
         page = store.read_all(log_end, 1000)) {
      log_end = page.back().global_position;
    }
    const std::int64_t case_start = log_end;

    auto stream_id = [&](int s) { return "model-c" + std::to_string(c) + "s" + std::to_string(s); };
    Model model;
    // What each client believes each stream's version is.
    std::vector<std::vector<std::int64_t>> seen(kClients, std::vector<std::int64_t>(kStreams, 0));
    std::vector<std::string> used_commands;
    std::int64_t last_position = case_start;

    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      const std::string sid = stream_id(op.stream);
      const std::int64_t current = model.version(sid);

      std::int64_t& belief = seen[op.client][op.stream];
      if (op.expect == Expect::fresh) {
        belief = store.stream_version(sid);
        RC_ASSERT(belief == current);
      }
      ExpectedVersion expected = ExpectedVersion::any();
      switch (op.expect) {
        case Expect::remembered:
        case Expect::fresh:
          expected = belief == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exactly(belief);
          break;
        case Expect::no_stream:
          expected = ExpectedVersion::no_stream();
          break;
        case Expect::any:
          expected = ExpectedVersion::any();
          break;
        case Expect::arbitrary:
          expected = ExpectedVersion::exactly(op.arbitrary_version);
          break;
      }

      std::string command_id;
      if (op.command == Command::fresh ||
          (op.command == Command::repeat && used_commands.empty())) {
        command_id = "c" + std::to_string(c) + "-cmd" + std::to_string(used_commands.size());
        used_commands.push_back(command_id);
      } else if (op.command == Command::repeat) {
        command_id = used_commands[op.repeat_pick % used_commands.size()];
      }
      const EventMetadata metadata{"client-" + std::to_string(op.client),
                                   "req-" + std::to_string(c) + "-" + std::to_string(i),
                                   command_id};
      std::vector<NewEvent> batch;
      for (int k = 0; k < op.events; ++k) {
        batch.push_back(make_event(
            "Op" + std::to_string(k),
            "op " + std::to_string(i) + std::string(1, '\0') + "event " + std::to_string(k),
            1 + k));
      }

      const AppendResult actual = store.append(sid, expected, batch, metadata);
      std::ostringstream where;
      where << "case " << c << " op " << i << " on " << sid << " at version " << current
            << ": got ";
      store::PrintTo(actual, &where);
      RC_LOG() << where.str() << "\n";

      // The model's verdict.
      const auto known =
          command_id.empty() ? model.commands.end() : model.commands.find({sid, command_id});
      if (known != model.commands.end()) {
        AppendResult original = known->second;
        original.status = Status::duplicate;
        RC_ASSERT(actual == original);
        ++coverage.duplicate;
        belief = actual.stream_version;
        continue;
      }
      bool holds = false;
      switch (expected.kind()) {
        case ExpectedVersion::Kind::exact:
          holds = current == expected.version();
          break;
        case ExpectedVersion::Kind::no_stream:
          holds = current == 0;
          break;
        case ExpectedVersion::Kind::any:
          holds = true;
          break;
      }
      if (!holds) {
        RC_ASSERT(actual == (AppendResult{Status::version_mismatch, current, 0, 0}));
        ++coverage.mismatch;
        if (op.expect == Expect::remembered && belief != 0) ++coverage.stale_mismatch;
        belief = actual.stream_version;  // the client learns the actual version
        continue;
      }
      RC_ASSERT(actual.status == Status::appended);
      RC_ASSERT(actual.stream_version == current + op.events);
      RC_ASSERT(actual.first_position > last_position);
      RC_ASSERT(actual.last_position == actual.first_position + op.events - 1);
      ++coverage.appended;
      last_position = actual.last_position;
      belief = actual.stream_version;
      if (!command_id.empty()) model.commands[{sid, command_id}] = actual;
      for (int k = 0; k < op.events; ++k) {
        Model::Event e{sid, current + 1 + k, batch[k], metadata};
        model.streams[sid].push_back(e);
        model.log.push_back(e);
      }
    }

    // Final contents: every stream, and the log of this case in append order.
    for (int s = 0; s < kStreams; ++s) {
      const std::string sid = stream_id(s);
      const auto stored = store.read_stream(sid);
      const auto it = model.streams.find(sid);
      const std::size_t expected_size = it == model.streams.end() ? 0 : it->second.size();
      RC_ASSERT(stored.size() == expected_size);
      RC_ASSERT(store.stream_version(sid) == static_cast<std::int64_t>(expected_size));
      for (std::size_t k = 0; k < stored.size(); ++k) {
        const auto& want = it->second[k];
        RC_ASSERT(stored[k].stream_id == sid);
        RC_ASSERT(stored[k].stream_version == want.stream_version);
        RC_ASSERT(stored[k].event_type == want.event.event_type);
        RC_ASSERT(stored[k].schema_version == want.event.schema_version);
        RC_ASSERT(stored[k].payload == want.event.payload);
        RC_ASSERT(same_metadata(stored[k].metadata, want.metadata));
      }
    }
    const auto logged = store.read_all(case_start, 100'000);
    RC_ASSERT(logged.size() == model.log.size());
    std::int64_t previous = case_start;
    for (std::size_t k = 0; k < logged.size(); ++k) {
      RC_ASSERT(logged[k].global_position > previous);
      previous = logged[k].global_position;
      RC_ASSERT(logged[k].stream_id == model.log[k].stream_id);
      RC_ASSERT(logged[k].stream_version == model.log[k].stream_version);
      RC_ASSERT(logged[k].payload == model.log[k].event.payload);
    }
  };

  ASSERT_TRUE(check_cases("appends behave like the model on " + backend_name(GetParam()),
                          kPropertyCases, kMaxAppends,
                          [&] { property(*rc::gen::container<std::vector<Op>>(gen_op())); }));
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::cout << "[ model    ] " << kPropertyCases << " cases in " << elapsed.count()
            << " ms: " << coverage.appended << " appended, " << coverage.duplicate
            << " duplicates, " << coverage.mismatch << " mismatches (" << coverage.stale_mismatch
            << " from stale versions)\n";
  // The generator must reach every outcome, or the property proved little.
  EXPECT_GT(coverage.appended, 100);
  EXPECT_GT(coverage.duplicate, 20);
  EXPECT_GT(coverage.mismatch, 50);
  EXPECT_GT(coverage.stale_mismatch, 10);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreModel, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
