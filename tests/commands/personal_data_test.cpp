// Personal values (FieldSpec::personal: users' username and email, workers' name and
// external id) are sealed in the stored event payloads with their subject's key, read back
// in plain text everywhere (fold, history, the read model), and read as the erased marker
// once the key is gone, while every hashed event stays intact. Both backends.
#include <gtest/gtest.h>

#include "events/payload_codec.h"
#include "events/sealed_value.h"
#include "projections/fold.h"
#include "store/log_verifier.h"
#include "tests/commands/domain_support.h"

namespace folio::testing {
namespace {

class PersonalData : public DomainTest {
 protected:
  // Every personal value `state` holds, with its field name.
  static std::vector<std::pair<std::string, std::string>> personal_values(
      const EntitySpec& spec, const EntityState& state) {
    std::vector<std::pair<std::string, std::string>> values;
    for (const auto& field : spec.fields) {
      const auto it = state.fields.find(std::string(field.name));
      if (field.personal && it != state.fields.end()) {
        values.emplace_back(field.name, std::get<std::string>(it->second));
      }
    }
    return values;
  }

  void run_sql(const char* sql, const std::string& param) {
    const std::vector<store::SqlValue> params{param};
    store_->transact(store::Access::read_write, [&](store::Transaction& tx) {
      tx.execute(sql, params);
      return store::Verdict::commit;
    });
  }
};

TEST_P(PersonalData, StoredPayloadsHoldNoPersonalValueInPlainText) {
  World world(*handler_, 0x14000001);
  SeededRandom random(14);
  for (const char* type : {"user", "worker"}) {
    const EntitySpec& spec = spec_of(type);
    EntityState state = world.create(random, type);
    // An update of every personal field, so both event kinds are checked.
    const UpdatePlan plan = world.update_plan(random, type, state);
    state = require_ok(handler_->update(world.context(),
                                        UpdateEntity{&spec, state.id, state.version, plan.sent}),
                       "update")
                .entity;
    const auto events = stream_of(*store_, spec, state.id);
    ASSERT_GE(events.size(), 2u);
    std::vector<std::pair<std::string, std::string>> seen;  // every value any event set
    for (const auto& event : events) {
      const auto stored = events::decode_payload<events::EntityChanges>(event.payload);
      for (const auto& [name, value] : projections::event_fields(spec, event)) {
        const auto* field = spec.field(name);
        if (!field || !field->personal) continue;
        const std::string& plain = std::get<std::string>(value);
        seen.emplace_back(name, plain);
        EXPECT_TRUE(events::is_sealed(std::get<std::string>(stored.fields.at(name)))) << name;
        EXPECT_EQ(event.payload.find(plain), std::string::npos)
            << type << "." << name << " '" << plain << "' is in the stored payload";
      }
    }
    EXPECT_GE(seen.size(), personal_values(spec, state).size());
    // Read back in plain text: the fold of the stream is the read-model row and the answer.
    EXPECT_EQ(projections::fold(spec, state.id, events), state);
    EXPECT_EQ(load(*store_, spec, state.id), state);
  }
}

TEST_P(PersonalData, WithoutItsKeyAValueReadsAsErasedAndTheLogStaysIntact) {
  World world(*handler_, 0x14000002);
  SeededRandom random(15);
  const EntitySpec& spec = spec_of("worker");
  const EntityState worker = world.create(random, "worker");
  const EntityState other = world.create(random, "worker");
  const auto stream_id = projections::stream_id_of(spec, worker.id);

  run_sql("DELETE FROM subject_keys WHERE stream_id = $1", stream_id);

  const EntityState folded =
      projections::fold(spec, worker.id, stream_of(*store_, spec, worker.id));
  for (const auto& [name, value] : personal_values(spec, worker)) {
    EXPECT_EQ(folded.fields.at(name), events::FieldValue(std::string(events::kErasedMarker)))
        << name;
  }
  EXPECT_EQ(folded.fields.at("worker_type_id"), worker.fields.at("worker_type_id"));
  EXPECT_EQ(folded.version, worker.version);
  // Only that subject: another worker's values still read.
  EXPECT_EQ(projections::fold(spec, other.id, stream_of(*store_, spec, other.id)), other);
  // No hashed byte changed.
  const auto report = store::verify_log(*store_);
  EXPECT_EQ(report.problem_count, 0);
  EXPECT_GT(report.events_checked, 0);
}

TEST_P(PersonalData, AnUpdateThatSetsNoPersonalValueNeedsNoKey) {
  World world(*handler_, 0x14000003);
  SeededRandom random(16);
  const EntitySpec& spec = spec_of("user");
  const EntityState user = world.create(random, "user");
  const auto stream_id = projections::stream_id_of(spec, user.id);
  run_sql("DELETE FROM subject_keys WHERE stream_id = $1", stream_id);
  const Outcome deactivated = handler_->update(
      world.context(), UpdateEntity{&spec, user.id, user.version, {{"is_active", false}}});
  ASSERT_TRUE(deactivated.ok());
  EXPECT_EQ(deactivated.entity.fields.at("is_active"), events::FieldValue(false));
  // No key was made for it: the erased values stay erased.
  const auto events = stream_of(*store_, spec, user.id);
  EXPECT_TRUE(events.back().subject_key.empty());
  EXPECT_EQ(projections::fold(spec, user.id, events).fields.at("username"),
            events::FieldValue(std::string(events::kErasedMarker)));
}

INSTANTIATE_TEST_SUITE_P(Backends, PersonalData, ::testing::ValuesIn(all_backends()),
                         BackendName());

// The sealing itself, without a store.
TEST(SealedValue, OpensOnlyWithItsKeyStreamAndField) {
  const std::string key = events::new_subject_key();
  const std::string sealed = events::seal_value(key, "user-1", "email", "ada@example.com");
  EXPECT_TRUE(events::is_sealed(sealed));
  EXPECT_EQ(sealed.find("ada@example.com"), std::string::npos);
  EXPECT_EQ(events::open_value(key, "user-1", "email", sealed), "ada@example.com");
  EXPECT_NE(events::seal_value(key, "user-1", "email", "ada@example.com"), sealed);  // nonce
  EXPECT_THROW(events::open_value(key, "user-2", "email", sealed), events::PayloadDecodeError);
  EXPECT_THROW(events::open_value(key, "user-1", "username", sealed), events::PayloadDecodeError);
  EXPECT_THROW(events::open_value(events::new_subject_key(), "user-1", "email", sealed),
               events::PayloadDecodeError);
  std::string flipped = sealed;
  flipped.back() = static_cast<char>(flipped.back() ^ 1);
  EXPECT_THROW(events::open_value(key, "user-1", "email", flipped), events::PayloadDecodeError);
  EXPECT_THROW(events::open_value(key, "user-1", "email", sealed.substr(0, 20)),
               events::PayloadDecodeError);
  EXPECT_EQ(events::open_value("", "user-1", "email", sealed), events::kErasedMarker);
  // Nothing a client can send looks sealed: text values are valid UTF-8, 0xFF never is.
  EXPECT_FALSE(events::is_sealed("sealed1 ada"));
  EXPECT_FALSE(events::is_sealed(""));
}

}  // namespace
}  // namespace folio::testing
