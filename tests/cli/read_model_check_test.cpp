// `folio verify --projections` (projections/read_model_check.h) on both backends: a store
// written only through the command handler has no drift, and every kind of edit made to the
// read models behind its back is reported with the entity and the field.
#include "projections/read_model_check.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

using projections::EntityDrift;
using store::Access;
using store::SqlValue;
using store::Transaction;
using store::Verdict;
using DriftKind = EntityDrift::Kind;

constexpr const char* kRenameResource = "UPDATE resources SET name = 'Edited behind' WHERE id = $1";
constexpr const char* kBumpProject = "UPDATE projects SET version = 7, deleted = 1 WHERE id = $1";
constexpr const char* kDeleteWorkerType = "DELETE FROM worker_types WHERE id = $1";
constexpr const char* kGhostResource =
    "INSERT INTO resources (id, version, created_at, updated_at, deleted, name, resource_type)"
    " VALUES ($1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0, 'Ghost',"
    " 'labor')";
constexpr const char* kBreakPayloadSqlite =
    "UPDATE events SET payload = X'ff' WHERE stream_id = $1 AND stream_version = 1";
constexpr const char* kBreakPayloadPg =
    "UPDATE events SET payload = decode('ff', 'hex') WHERE stream_id = $1 AND stream_version = 1";

class ReadModelCheck : public DomainTest {
 protected:
  struct Result {
    projections::ReadModelCheckReport report;
    std::vector<EntityDrift> drifts;
  };

  Result check(std::size_t batch = 2) {
    Result result;
    projections::ReadModelCheckOptions options;
    options.batch = batch;  // small pages: cross page boundaries
    options.on_drift = [&](const EntityDrift& d) { result.drifts.push_back(d); };
    result.report = projections::check_read_models(*store_, options);
    return result;
  }

  // A new entity of `type` (and its parents), made through the command handler.
  EntityState make(std::string_view type) {
    if (!world_) world_ = std::make_unique<World>(*handler_, 0x7e110002);
    return world_->create(random_, type);
  }

  // The one drift the check reports (fails the test unless exactly one).
  EntityDrift only_drift(std::size_t batch = 2) {
    const auto result = check(batch);
    EXPECT_EQ(result.drifts.size(), 1u);
    EXPECT_EQ(result.report.drifted, static_cast<std::int64_t>(result.drifts.size()));
    return result.drifts.empty() ? EntityDrift{} : result.drifts.front();
  }

  void tamper(const char* sql, const std::string& id) {
    store_->transact(Access::read_write, [&](Transaction& tx) {
      const SqlValue param{id};
      EXPECT_EQ(tx.execute(sql, std::span(&param, 1)), 1u) << sql;
      return Verdict::commit;
    });
  }

  std::unique_ptr<World> world_;  // made on first use: the handler exists after SetUp
  SeededRandom random_{3};
};

TEST_P(ReadModelCheck, StoreWrittenByCommandsHasNoDrift) {
  EntityState last;
  for (const auto& type : all_entity_types()) {
    const EntitySpec& spec = spec_of(type);
    EntityState state = make(type);
    for (int i = 0; i < 2; ++i) {
      const UpdatePlan plan = world_->update_plan(random_, type, state);
      state = require_ok(handler_->update(world_->context(),
                                          UpdateEntity{&spec, state.id, state.version, plan.sent}),
                         "update " + type)
                  .entity;
    }
    last = state;
  }
  // The last one made has no children: delete it, so deleted rows are compared too.
  const EntitySpec& last_spec = spec_of(all_entity_types().back());
  require_ok(handler_->remove(world_->context(), DeleteEntity{&last_spec, last.id, last.version}),
             "delete");
  // The World made parents too: count every stream of the catalog's types.
  const std::int64_t streams = projections::count_entity_streams(*store_);
  ASSERT_GT(streams, 13);
  const auto result = check();
  EXPECT_TRUE(result.report.clean());
  EXPECT_TRUE(result.drifts.empty())
      << result.drifts.front().entity_type << " " << result.drifts.front().id;
  EXPECT_EQ(result.report.streams_checked, streams);
}

TEST_P(ReadModelCheck, FieldEditedInTheReadModelIsReportedWithExpectedAndActual) {
  const EntityState resource = make("resource");
  tamper(kRenameResource, resource.id);
  const EntityDrift d = only_drift();
  EXPECT_EQ(d.kind, DriftKind::fields_differ);
  EXPECT_EQ(d.entity_type, "resource");
  EXPECT_EQ(d.id, resource.id);
  ASSERT_EQ(d.fields.size(), 1u);
  EXPECT_EQ(d.fields[0].field, "name");
  EXPECT_EQ(d.fields[0].expected, "\"" + projections::text_field(resource.fields, "name") + "\"");
  EXPECT_EQ(d.fields[0].actual, "\"Edited behind\"");
}

TEST_P(ReadModelCheck, VersionAndDeletedMarkerEditsAreReported) {
  const EntityState project = make("project");
  tamper(kBumpProject, project.id);
  const EntityDrift d = only_drift();
  EXPECT_EQ(d.entity_type, "project");
  ASSERT_EQ(d.fields.size(), 2u);
  EXPECT_EQ(d.fields[0].field, "version");
  EXPECT_EQ(d.fields[0].expected, "1");
  EXPECT_EQ(d.fields[0].actual, "7");
  EXPECT_EQ(d.fields[1].field, "deleted");
  EXPECT_EQ(d.fields[1].expected, "false");
  EXPECT_EQ(d.fields[1].actual, "true");
}

TEST_P(ReadModelCheck, DeletedRowIsReportedAsMissing) {
  const EntityState worker_type = make("worker_type");
  tamper(kDeleteWorkerType, worker_type.id);
  const EntityDrift d = only_drift();
  EXPECT_EQ(d.kind, DriftKind::missing_row);
  EXPECT_EQ(d.entity_type, "worker_type");
  EXPECT_EQ(d.id, worker_type.id);
}

TEST_P(ReadModelCheck, RowWithoutStreamIsReported) {
  make("resource");
  const std::string ghost = "0badc0de-0000-4000-8000-000000000001";
  tamper(kGhostResource, ghost);
  const EntityDrift d = only_drift(1);
  EXPECT_EQ(d.kind, DriftKind::row_without_stream);
  EXPECT_EQ(d.entity_type, "resource");
  EXPECT_EQ(d.id, ghost);
}

TEST_P(ReadModelCheck, UndecodablePayloadIsReportedAndTheRestIsChecked) {
  const EntityState broken = make("resource");
  const EntityState edited = make("resource");
  tamper(GetParam() == Backend::sqlite ? kBreakPayloadSqlite : kBreakPayloadPg,
         "resource-" + broken.id);
  tamper(kRenameResource, edited.id);
  const auto result = check();
  ASSERT_EQ(result.drifts.size(), 2u);
  for (const auto& d : result.drifts) {
    if (d.id == broken.id) {
      EXPECT_EQ(d.kind, DriftKind::unfoldable);
      EXPECT_FALSE(d.detail.empty());
    } else {
      EXPECT_EQ(d.id, edited.id);
      EXPECT_EQ(d.kind, DriftKind::fields_differ);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReadModelCheck, ::testing::ValuesIn(all_backends()),
                         BackendName());

}  // namespace
}  // namespace folio::testing
