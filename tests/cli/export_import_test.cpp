// `folio export` and `folio import`: the real binary on both backends. Version-1 data
// exported, imported into an empty store and exported again gives the same decoded
// events; bad files write nothing; a refused row stops the import and a second run
// resumes; re-importing changes nothing; export's filters keep exactly what they name.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "tests/support/folio_process.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

namespace json = boost::json;


// The decoded content of an export line: what must survive a round trip (not positions,
// times or the ids of the requests that wrote it).
std::string content_of(const std::string& line) {
  const json::object event = json::parse(line).as_object();
  json::object kept;
  for (const char* key : {"entity_type", "entity_id", "version", "event_type", "data"}) {
    kept[key] = event.at(key);
  }
  return json::serialize(kept);
}

std::multiset<std::string> contents(const std::string& export_text) {
  std::multiset<std::string> out;
  for (const auto& line : lines_of(export_text)) out.insert(content_of(line));
  return out;
}

class ExportImport : public DomainTest {
 protected:
  std::size_t event_count(store::EventStore& store) { return all_events(store).size(); }
};

TEST_P(ExportImport, ExportThenImportIntoAnEmptyStoreThenExportGivesTheSameEvents) {
  World world(*handler_, 0x45000001);
  SeededRandom random(11);
  for (int round = 0; round < 2; ++round) {
    for (const auto& type : all_entity_types()) world.create(random, type);
  }
  TempDir dir;
  const auto first = run_folio(db_->url(), {"export", "--output", dir.file("a.jsonl")});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string exported = read_file(dir.file("a.jsonl"));
  ASSERT_EQ(lines_of(exported).size(), event_count(*store_));

  auto target = TestDatabase::create_migrated(GetParam());
  const auto imported = run_folio(target->url(), {"import", dir.file("a.jsonl")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("imported " + std::to_string(event_count(*store_)) + " new rows"),
            std::string::npos)
      << imported.out;
  EXPECT_NE(imported.out.find("imported users had no password"), std::string::npos);

  const auto second = run_folio(target->url(), {"export"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(contents(second.out), contents(exported));

  // The same file again: nothing changes.
  const auto again = run_folio(target->url(), {"import", dir.file("a.jsonl")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("imported 0 new rows"), std::string::npos) << again.out;
  EXPECT_EQ(run_folio(target->url(), {"export"}).out, second.out);
}

TEST_P(ExportImport, BadLinesAreAllReportedWithTheirNumbersAndNothingIsWritten) {
  TempDir dir;
  write_file(dir.file("bad.jsonl"),
             R"({"entity_type":"resource","id":"01930000-0000-7000-8000-00000000000a","name":"Crane","resource_type":"non_labor"})"
             "\n"
             "{not json\n"
             "\n"
             R"({"entity_type":"spaceship","id":"01930000-0000-7000-8000-00000000000b"})"
             "\n"
             R"({"entity_type":"resource","id":"01930000-0000-7000-8000-00000000000c","resource_type":"robot"})"
             "\n"
             R"({"entity_type":"resource","id":"01930000-0000-7000-8000-00000000000a","name":"Again","resource_type":"labor"})"
             "\n");
  const auto result = run_folio(db_->url(), {"import", dir.file("bad.jsonl")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("bad.jsonl:2: not a JSON object"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("bad.jsonl:4: unknown entity_type 'spaceship'"), std::string::npos);
  EXPECT_NE(result.err.find("bad.jsonl:5: "), std::string::npos);
  EXPECT_NE(result.err.find("name"), std::string::npos);
  EXPECT_NE(result.err.find("resource_type"), std::string::npos);
  EXPECT_NE(result.err.find("bad.jsonl:6: resource 01930000-0000-7000-8000-00000000000a appears"),
            std::string::npos);
  EXPECT_NE(result.err.find("4 bad lines; nothing was imported"), std::string::npos);
  EXPECT_EQ(event_count(*store_), 0u);
  EXPECT_TRUE(dump_read_models(*store_).empty());
}

TEST_P(ExportImport, ARefusedRowStopsTheImportAndTheFixedFileResumes) {
  TempDir dir;
  const std::string portfolio =
      R"({"entity_type":"portfolio","id":"01930000-0000-7000-8000-000000000001","name":"Growth","description":"d","owner":"Ada","reporting_start_date":"2026-01-01","reporting_end_date":"2026-12-31"})";
  const std::string program_template =
      R"({"entity_type":"program","id":"01930000-0000-7000-8000-000000000002","portfolio_id":"PARENT","name":"Apollo","business_sponsor":"a","program_manager":"b","technical_lead":"c","start_date":"2026-01-01","end_date":"2026-06-30"})";
  auto program = [&](const std::string& parent) {
    std::string line = program_template;
    line.replace(line.find("PARENT"), 6, parent);
    return line;
  };
  // The program comes first in the file: import writes parents first anyway.
  write_file(dir.file("rows.jsonl"),
             program("01930000-0000-7000-8000-0000000000ff") + "\n" + portfolio + "\n");
  const auto stopped = run_folio(db_->url(), {"import", dir.file("rows.jsonl")});
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_NE(stopped.err.find("rows.jsonl:1: program 01930000-0000-7000-8000-000000000002: "),
            std::string::npos)
      << stopped.err;
  EXPECT_NE(stopped.err.find("stopped at line 1 after 1 new"), std::string::npos) << stopped.err;
  EXPECT_EQ(event_count(*store_), 1u);  // the portfolio, written before the program

  write_file(dir.file("rows.jsonl"),
             program("01930000-0000-7000-8000-000000000001") + "\n" + portfolio + "\n");
  const auto resumed = run_folio(db_->url(), {"import", dir.file("rows.jsonl")});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("imported 1 new rows; 1 were already present"), std::string::npos)
      << resumed.out;
  EXPECT_EQ(event_count(*store_), 2u);
  const auto row = load(*store_, spec_of("program"), "01930000-0000-7000-8000-000000000002");
  ASSERT_TRUE(row && row->exists());
  EXPECT_EQ(row->version, 1);
}

// Rows are committed in batches; a refused row in a later batch keeps every row before it.
TEST_P(ExportImport, ARefusedRowAfterFullBatchesKeepsEveryRowBeforeIt) {
  TempDir dir;
  constexpr int kResources = 1200;  // more than two batches
  auto id = [](int n) {
    char text[40];
    std::snprintf(text, sizeof text, "01930000-0000-7000-8000-%012d", n);
    return std::string(text);
  };
  // The assignment comes first in the file and refers to a project that does not exist.
  std::string file =
      R"({"entity_type":"resource_assignment","id":")" + id(9999) + R"(","resource_id":")" + id(1) +
      R"(","project_id":")" + id(9998) +
      R"(","assignment_date":"2026-03-10","capital_percentage":10,"expense_percentage":10})" + "\n";
  for (int n = 1; n <= kResources; ++n) {
    file += R"({"entity_type":"resource","id":")" + id(n) + R"(","name":"Crane )" +
            std::to_string(n) + R"(","resource_type":"non_labor"})" + "\n";
  }
  write_file(dir.file("rows.jsonl"), file);
  const auto stopped = run_folio(db_->url(), {"import", dir.file("rows.jsonl")});
  EXPECT_EQ(stopped.exit_code, 1) << stopped.err;
  EXPECT_NE(stopped.err.find("rows.jsonl:1: resource_assignment " + id(9999)), std::string::npos)
      << stopped.err;
  EXPECT_NE(stopped.err.find("stopped at line 1 after 1200 new and 0 already present"),
            std::string::npos)
      << stopped.err;
  EXPECT_EQ(event_count(*store_), static_cast<std::size_t>(kResources));
  const auto last = load(*store_, spec_of("resource"), id(kResources));
  ASSERT_TRUE(last && last->exists());
  EXPECT_EQ(last->fields.at("name"), events::FieldValue(std::string("Crane 1200")));
}

// Import writes into a database whose schema is current, and says what to do otherwise.
TEST(ImportCommand, AnUnmigratedDatabaseIsRefusedWithTheRemedy) {
  TempDir dir;
  write_file(
      dir.file("rows.jsonl"),
      R"({"entity_type":"resource","id":"01930000-0000-7000-8000-000000000001","name":"Crane","resource_type":"labor"})"
      "\n");
  const auto refused =
      run_folio("sqlite://" + dir.file("empty.db"), {"import", dir.file("rows.jsonl")});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("run `folio migrate up` first"), std::string::npos) << refused.err;
}

TEST_P(ExportImport, ExportFiltersKeepExactlyWhatTheyName) {
  World world(*handler_, 0x45000002);
  SeededRandom random(12);
  const EntityState phase = world.create(random, "project_phase");  // with its parents
  world.create(random, "resource");
  const auto everything = lines_of(run_folio(db_->url(), {"export"}).out);
  ASSERT_GE(everything.size(), 5u);

  const auto projects = run_folio(db_->url(), {"export", "--entity-type", "projects"});
  ASSERT_EQ(projects.exit_code, 0) << projects.err;
  ASSERT_FALSE(lines_of(projects.out).empty());
  for (const auto& line : lines_of(projects.out)) {
    EXPECT_EQ(json::parse(line).at("entity_type").as_string(), "project");
  }

  const auto stream =
      run_folio(db_->url(), {"export", "--stream", "project_phase-" + phase.id});
  const auto stream_lines = lines_of(stream.out);
  ASSERT_EQ(stream_lines.size(), 1u) << stream.err;
  const json::object event = json::parse(stream_lines[0]).as_object();
  EXPECT_EQ(event.at("event_type").as_string(), "ProjectPhaseCreated");
  EXPECT_EQ(event.at("entity_id").as_string(), phase.id);
  EXPECT_EQ(event.at("data").at("name").as_string(), std::get<std::string>(phase.fields.at("name")));

  const std::int64_t second = json::parse(everything[1]).at("position").as_int64();
  const std::int64_t third = json::parse(everything[2]).at("position").as_int64();
  const auto range = run_folio(db_->url(), {"export", "--from-position", std::to_string(second),
                                            "--to-position", std::to_string(third)});
  EXPECT_EQ(lines_of(range.out), (std::vector<std::string>{everything[1], everything[2]}));

  EXPECT_TRUE(run_folio(db_->url(), {"export", "--since", "2999-01-01"}).out.empty());
  EXPECT_EQ(lines_of(run_folio(db_->url(), {"export", "--until", "2999-01-01"}).out), everything);
  EXPECT_EQ(run_folio(db_->url(), {"export", "--since", "yesterday"}).exit_code, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, ExportImport, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
