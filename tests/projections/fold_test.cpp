// fold.h and entity_state.h without a database: events fold into states, histories list the
// changes with from/to, in order.
#include "projections/fold.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "events/payload_codec.h"

namespace folio::projections {
namespace {

using events::RecordedEvent;

const EntitySpec& spec(std::string_view type) { return events::entity(type); }

RecordedEvent event(const EntitySpec& s, std::int64_t version, const std::string& kind,
                    FieldMap fields, const std::string& at, const std::string& user = "u1") {
  RecordedEvent e;
  e.stream_id = stream_id_of(s, "id-1");
  e.stream_version = version;
  e.global_position = 100 + version;
  e.event_type = std::string(s.event_prefix) + kind;
  e.payload = events::encode_payload(events::EntityChanges{std::move(fields)});
  e.recorded_at = at;
  e.metadata.user_id = user;
  e.metadata.request_id = "req-" + std::to_string(version);
  return e;
}

TEST(EntityState, NamesAndDerivedFields) {
  EXPECT_EQ(stream_id_of(spec("project_phase"), "abc"), "project_phase-abc");
  EXPECT_EQ(created_event(spec("worker_type")), "WorkerTypeCreated");
  EXPECT_EQ(updated_event(spec("resource_assignment")), "ResourceAssignmentUpdated");
  EXPECT_EQ(deleted_event(spec("user_role")), "UserRoleDeleted");
  FieldMap phase{{"capital_budget", std::string("1.05")}, {"expense_budget", std::string("2.95")}};
  update_derived_fields(spec("project_phase"), phase);
  EXPECT_EQ(phase.at("total_budget"), FieldValue{std::string("4.00")});
  FieldMap other{{"name", std::string("x")}};
  update_derived_fields(spec("project"), other);
  EXPECT_EQ(other, (FieldMap{{"name", std::string("x")}}));
  EXPECT_FALSE(EntityState{}.exists());
  EXPECT_TRUE((EntityState{"x", 1}).exists());
  EXPECT_FALSE((EntityState{"x", 2, "", "", true}).exists());
}

TEST(Fold, CreatedUpdatedDeleted) {
  const EntitySpec& phase = spec("project_phase");
  const std::vector<RecordedEvent> events = {
      event(phase, 1, "Created",
            {{"project_id", std::string("p")}, {"name", std::string("A")},
             {"start_date", std::string("2020-01-01")}, {"end_date", std::string("2020-01-02")},
             {"capital_budget", std::string("1.00")}, {"expense_budget", std::string("2.00")},
             {"description", std::string("d")}},
            "2026-01-01T00:00:00.000Z"),
      event(phase, 2, "Updated", {{"name", std::string("B")}, {"capital_budget", std::string("5.00")}},
            "2026-01-02T00:00:00.000Z"),
      event(phase, 3, "Updated", {{"description", FieldValue{}}}, "2026-01-03T00:00:00.000Z"),
      event(phase, 4, "Updated", {}, "2026-01-04T00:00:00.000Z"),
      event(phase, 5, "Deleted", {}, "2026-01-05T00:00:00.000Z"),
  };
  EntityState state = fold(phase, "id-1", {events.begin(), events.begin() + 1});
  EXPECT_EQ(state.id, "id-1");
  EXPECT_EQ(state.version, 1);
  EXPECT_EQ(state.created_at, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(state.updated_at, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(state.fields.at("total_budget"), FieldValue{std::string("3.00")});

  state = fold(phase, "id-1", {events.begin(), events.begin() + 3});
  EXPECT_EQ(state.version, 3);
  EXPECT_EQ(state.created_at, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(state.updated_at, "2026-01-03T00:00:00.000Z");
  EXPECT_EQ(state.fields.at("name"), FieldValue{std::string("B")});
  EXPECT_EQ(state.fields.at("total_budget"), FieldValue{std::string("7.00")});
  EXPECT_FALSE(state.fields.count("description"));  // cleared: absent, as in the read model

  const EntityState deleted = fold(phase, "id-1", events);
  EXPECT_EQ(deleted.version, 5);
  EXPECT_TRUE(deleted.deleted);
  EXPECT_EQ(deleted.updated_at, "2026-01-05T00:00:00.000Z");
  EXPECT_EQ(deleted.fields, fold(phase, "id-1", {events.begin(), events.begin() + 4}).fields);

  EXPECT_EQ(fold(phase, "id-1", {}), (EntityState{"id-1"}));
}

TEST(Fold, RefusesForeignAndUndecodableEvents) {
  EntityState state;
  EXPECT_THROW(apply_event(spec("project"), state,
                           event(spec("program"), 1, "Created", {}, "t")),
               std::runtime_error);
  RecordedEvent odd = event(spec("project"), 1, "Created", {}, "t");
  odd.event_type = "ProjectRenamed";
  EXPECT_THROW(apply_event(spec("project"), state, odd), std::runtime_error);
  odd.event_type = "Project";
  EXPECT_THROW(apply_event(spec("project"), state, odd), std::runtime_error);
  // "ProjectPhaseCreated" is not a Project event, though it starts like one.
  EXPECT_THROW(apply_event(spec("project"), state,
                           event(spec("project_phase"), 1, "Created", {}, "t")),
               std::runtime_error);
  RecordedEvent garbage = event(spec("project"), 1, "Created", {}, "t");
  garbage.payload = std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x01", 9);
  EXPECT_THROW(apply_event(spec("project"), state, garbage), events::PayloadDecodeError);
}

TEST(History, ListsEachFieldChangeWithFromAndTo) {
  const EntitySpec& resource = spec("resource");
  const std::vector<RecordedEvent> events = {
      event(resource, 1, "Created", {{"name", std::string("A")}, {"resource_type", std::string("labor")}},
            "t1", "alice"),
      event(resource, 2, "Updated", {{"name", std::string("B")}, {"description", std::string("d")}},
            "t2", "bob"),
      event(resource, 3, "Updated", {{"description", FieldValue{}}}, "t3", "carol"),
      event(resource, 4, "Updated", {}, "t4", "dave"),
      event(resource, 5, "Deleted", {}, "t5", "erin"),
  };
  const auto entries = history(resource, events);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].version, 1);
  EXPECT_EQ(entries[0].event_type, "ResourceCreated");
  EXPECT_EQ(entries[0].recorded_at, "t1");
  EXPECT_EQ(entries[0].user_id, "alice");
  EXPECT_EQ(entries[0].request_id, "req-1");
  EXPECT_EQ(entries[0].changes,
            (std::map<std::string, FieldChange>{{"name", {FieldValue{}, std::string("A")}},
                                                {"resource_type", {FieldValue{}, std::string("labor")}}}));
  EXPECT_EQ(entries[1].changes,
            (std::map<std::string, FieldChange>{{"name", {std::string("A"), std::string("B")}},
                                                {"description", {FieldValue{}, std::string("d")}}}));
  EXPECT_EQ(entries[2].changes,
            (std::map<std::string, FieldChange>{{"description", {std::string("d"), FieldValue{}}}}));
  EXPECT_TRUE(entries[3].changes.empty());
  EXPECT_EQ(entries[4].event_type, "ResourceDeleted");
  EXPECT_TRUE(entries[4].changes.empty());
  EXPECT_EQ(entries[4].user_id, "erin");

  // From a version on: the earlier ones still supply the "from" values.
  const auto since = history(resource, events, 3);
  ASSERT_EQ(since.size(), 3u);
  EXPECT_EQ(since[0].version, 3);
  EXPECT_EQ(since[0].changes.at("description").from, FieldValue{std::string("d")});
  EXPECT_TRUE(history(resource, events, 6).empty());
}

// A reader over an in-memory stream (versions 1..n) that records the versions it returned.
struct CountingReader {
  const std::vector<RecordedEvent>& stream;
  std::int64_t events_read = 0;
  int reads = 0;  // round trips, on PostgreSQL
  StreamRangeReader reader() {
    return [this](std::int64_t from, std::int64_t to) {
      std::vector<RecordedEvent> out;
      for (const auto& e : stream) {
        if (e.stream_version >= from && e.stream_version <= to) out.push_back(e);
      }
      events_read += static_cast<std::int64_t>(out.size());
      ++reads;
      return out;
    };
  }
};

bool same_entries(const std::vector<HistoryEntry>& a, const std::vector<HistoryEntry>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].version != b[i].version || a[i].event_type != b[i].event_type ||
        a[i].recorded_at != b[i].recorded_at || a[i].user_id != b[i].user_id ||
        a[i].request_id != b[i].request_id || a[i].changes != b[i].changes) {
      return false;
    }
  }
  return true;
}

// history_since reads part of the stream and must answer exactly what the fold of the whole
// stream answers (a conflict's changes_since, a page of the change feed), whatever the mix of
// creations, updates that set or clear fields, and deletions.
RC_GTEST_PROP(HistorySince, EqualsTheHistoryOfTheWholeStream, ()) {
  const EntitySpec& phase = spec("project_phase");  // derived total_budget
  const std::vector<std::string> names = {"name", "description", "capital_budget",
                                          "expense_budget"};
  const auto length = *rc::gen::inRange<int>(1, 80);
  std::vector<RecordedEvent> stream;
  for (int v = 1; v <= length; ++v) {
    const int kind = v == 1 ? 0 : *rc::gen::inRange(0, 20);  // mostly updates
    const std::string at = "t" + std::to_string(v);
    if (kind == 0) {
      stream.push_back(event(phase, v, "Created",
                             {{"project_id", std::string("p")},
                              {"name", std::string("n")},
                              {"capital_budget", std::string("1.00")},
                              {"expense_budget", std::string("2.00")}},
                             at));
    } else if (kind == 1) {
      stream.push_back(event(phase, v, "Deleted", {}, at));
    } else if (kind == 2) {  // its reason is not a field of the entity
      stream.push_back(event(phase, v, "Erased",
                             {{"description", std::string("[erased]")},
                              {"reason", std::string("request " + std::to_string(v))}},
                             at));
    } else {
      FieldMap fields;
      for (const auto& name : names) {
        const int choice = *rc::gen::inRange(0, 6);
        if (choice == 0 && name == "description") fields[name] = FieldValue{};  // cleared
        if (choice == 1)
          fields[name] = name.ends_with("budget") ? std::string(std::to_string(v) + ".00")
                                                  : std::string(name + std::to_string(v));
      }
      stream.push_back(event(phase, v, "Updated", std::move(fields), at));
    }
  }
  const auto from = *rc::gen::inRange<std::int64_t>(1, length + 2);
  const auto to = *rc::gen::inRange<std::int64_t>(from - 1, length + 1);
  const std::vector<RecordedEvent> prefix(stream.begin(),
                                          stream.begin() + std::min<std::int64_t>(to, length));
  CountingReader counting{stream};
  RC_ASSERT(same_entries(history_since(phase, from, to, counting.reader()),
                         history(phase, prefix, from)));
}

// The point of it: a conflict over a long stream whose changed field was set just before
// reads a few events, not the stream.
TEST(HistorySince, ReadsBackOnlyToWhereTheChangedFieldsWereLastSet) {
  const EntitySpec& resource = spec("resource");
  std::vector<RecordedEvent> stream = {
      event(resource, 1, "Created",
            {{"name", std::string("A")}, {"resource_type", std::string("labor")}}, "t1")};
  for (int v = 2; v <= 5000; ++v) {
    stream.push_back(event(resource, v, "Updated",
                           {{"description", std::string("d" + std::to_string(v))}}, "t"));
  }
  CountingReader recent{stream};
  const auto entries = history_since(resource, 4999, INT64_MAX, recent.reader());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].changes.at("description").from, FieldValue{std::string("d4998")});
  EXPECT_LE(recent.events_read, 2 + 8);  // the range and the first window before it
  EXPECT_EQ(recent.reads, 1);

  // A field last set by the creation: back to it, and still exact.
  stream.push_back(event(resource, 5001, "Updated", {{"name", std::string("B")}}, "t"));
  CountingReader far{stream};
  const auto renamed = history_since(resource, 5001, INT64_MAX, far.reader());
  ASSERT_EQ(renamed.size(), 1u);
  EXPECT_EQ(renamed[0].changes.at("name").from, FieldValue{std::string("A")});
}

}  // namespace
}  // namespace folio::projections
