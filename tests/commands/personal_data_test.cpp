// Personal values (FieldSpec::personal: users' username and email, workers' name and
// external id) are sealed in the stored event payloads with their subject's key, read back
// in plain text everywhere (fold, history, the read model), and read as the erased marker
// once the key is gone, while every hashed event stays intact. Both backends.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "events/payload_codec.h"
#include "events/sealed_value.h"
#include "projections/fold.h"
#include "store/log_verifier.h"
#include "tests/commands/domain_support.h"
#include "tests/support/held_transaction.h"

namespace folio::testing {
namespace {

class PersonalData : public DomainTest {
 protected:
  // Every personal value `state` holds, with its field name.
  static std::vector<std::pair<std::string, std::string>> personal_values(
      const EntitySpec& spec, const EntityState& state) {
    std::vector<std::pair<std::string, std::string>> values;
    for (const auto& field : spec.fields) {
      const auto it = state.fields.find(field.name);
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

// Values no file holds by chance: lower case (the unique indexes hold lower(username)).
std::string distinctive(const std::string& what) {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return what + hex;
}

// The files of the database: SQLite's file and WAL; PostgreSQL's relation files of the
// database (its WAL segments hold every write until they are recycled: docs/
// personal-data.md), after a checkpoint so that every page written is in them.
std::vector<std::filesystem::path> database_files(store::EventStore& store, TestDatabase& db) {
  std::vector<std::filesystem::path> files;
  if (store.dialect() == "sqlite") {
    for (const char* suffix : {"", "-wal"}) {
      if (std::filesystem::exists(db.location() + suffix))
        files.emplace_back(db.location() + suffix);
    }
    return files;
  }
  std::string oid;
  store.transact(store::Access::read_write, [&](store::Transaction& tx) {
    tx.execute("CHECKPOINT", {});
    oid = std::to_string(std::get<std::int64_t>(
        tx.query("SELECT oid::bigint FROM pg_database WHERE datname = current_database()", {})
            .at(0)
            .at(0)));
    return store::Verdict::commit;
  });
  const char* dir = std::getenv("FOLIO_TEST_PG_DIR");
  if (!dir) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::filesystem::path(dir) / "data/base" / oid)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  return files;
}

std::vector<std::string> files_holding(const std::vector<std::filesystem::path>& files,
                                       const std::string& value) {
  std::vector<std::string> holding;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(value) != std::string::npos) holding.push_back(file.string());
  }
  return holding;
}

TEST_P(PersonalData, ErasureLeavesMarkersEverywhereAndNoPlainValueInTheDatabaseFiles) {
  World world(*handler_, 0x14000004);
  SeededRandom random(17);
  const EntitySpec& users = spec_of("user");
  const EntitySpec& workers = spec_of("worker");
  const auto admin = context_for(user_uuid(0));

  // A user and a worker with values to look for, the worker renamed once.
  CreatePlan user_plan = world.create_plan(random, "user");
  const std::string username = distinctive("erasable-user-");
  const std::string email = distinctive("erasable-") + "@example.com";
  user_plan.command.fields["username"] = username;
  user_plan.command.fields["email"] = email;
  const EntityState user = require_ok(handler_->create(admin, user_plan.command), "user").entity;
  CreatePlan worker_plan = world.create_plan(random, "worker");
  const std::string first_name = distinctive("erasable-worker-");
  const std::string external_id = distinctive("erasable-ext-");
  worker_plan.command.fields["name"] = first_name;
  worker_plan.command.fields["external_id"] = external_id;
  const EntityState created =
      require_ok(handler_->create(admin, worker_plan.command), "worker").entity;
  const std::string second_name = distinctive("erasable-renamed-");
  const EntityState worker =
      require_ok(
          handler_->update(
              admin, UpdateEntity{&workers, created.id, created.version, {{"name", second_name}}}),
          "rename")
          .entity;
  // What else held them: a kept idempotency answer and a login-failure count.
  run_sql(
      "INSERT INTO idempotency_keys (user_id, idempotency_key, fingerprint, created_at_ms,"
      " status, response_body) VALUES ('someone', 'k1', 'f', 0, 201, $1)",
      "{\"id\":\"" + user.id + "\",\"username\":\"" + username + "\"}");
  run_sql("INSERT INTO login_failures (throttle_key, failures, window_ends) VALUES ($1, 1, 0)",
          "user:" + username);

  // The scan below can see them: before the erasure, the read models hold them.
  for (const std::string& value : {username, email, second_name, external_id}) {
    EXPECT_NE(files_holding(database_files(*store_, *db_), value), std::vector<std::string>{})
        << value;
  }

  // Only an administrator, with a reason.
  const CommandContext viewer{commands::Actor{user_uuid(3), false, {{"viewer", "global"}}}, "req"};
  EXPECT_EQ(handler_->erase(viewer, {&users, user.id, "asked"}).kind, Kind::forbidden);
  EXPECT_EQ(handler_->erase(admin, {&users, user.id, ""}).kind, Kind::validation);
  EXPECT_EQ(handler_->erase(admin, {&users, world.next_id(), "asked"}).kind, Kind::not_found);
  EXPECT_EQ(handler_->erase(admin, {&spec_of("project"), user.id, "asked"}).kind, Kind::not_found);

  const Outcome erased_user = handler_->erase(admin, {&users, user.id, "GDPR request 17"});
  ASSERT_TRUE(erased_user.ok()) << describe(erased_user);
  const Outcome erased_worker = handler_->erase(admin, {&workers, worker.id, "left in 2025"});
  ASSERT_TRUE(erased_worker.ok()) << describe(erased_worker);

  const events::FieldValue marker{std::string(events::kErasedMarker)};
  const auto user_row = load(*store_, users, user.id);
  ASSERT_TRUE(user_row);
  EXPECT_EQ(user_row->fields.at("username"), marker);
  EXPECT_EQ(user_row->fields.at("email"), marker);
  EXPECT_EQ(user_row->fields.at("is_active"), events::FieldValue(false));
  EXPECT_EQ(user_row->version, user.version + 1);
  const auto worker_row = load(*store_, workers, worker.id);
  ASSERT_TRUE(worker_row);
  EXPECT_EQ(worker_row->fields.at("name"), marker);
  EXPECT_EQ(worker_row->fields.at("external_id"), marker);
  EXPECT_EQ(worker_row->fields.at("worker_type_id"), worker.fields.at("worker_type_id"));
  // The replay gives the same (a rebuild would write the same rows), history tells why.
  EXPECT_EQ(projections::fold(workers, worker.id, stream_of(*store_, workers, worker.id)),
            *worker_row);
  const auto entries = projections::history(workers, stream_of(*store_, workers, worker.id));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries.back().event_type, "WorkerErased");
  EXPECT_EQ(entries.back().changes.at("erasure_reason").to, events::FieldValue("left in 2025"));
  EXPECT_EQ(entries.front().changes.at("name").to, marker);  // the first name, unreadable
  // Erasing again changes nothing; the log verifies.
  const Outcome again = handler_->erase(admin, {&workers, worker.id, "again"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.entity.version, worker_row->version);
  EXPECT_EQ(store::verify_log(*store_).problem_count, 0);

  // No file of the database holds a value of the erased subjects.
  const auto files = database_files(*store_, *db_);
  ASSERT_FALSE(files.empty());
  for (const std::string& value : {username, email, first_name, second_name, external_id}) {
    EXPECT_EQ(files_holding(files, value), std::vector<std::string>{}) << value;
  }

  // Nobody holds the values any more: a new user may take the name, and two erased
  // subjects do not collide on the marker, which no client may send.
  CreatePlan taker = world.create_plan(random, "user");
  taker.command.fields["username"] = username;
  EXPECT_TRUE(handler_->create(admin, taker.command).ok());
  const EntityState second = world.create(random, "worker");
  EXPECT_TRUE(handler_->erase(admin, {&workers, second.id, "another"}).ok());
  CreatePlan marked = world.create_plan(random, "worker");
  marked.command.fields["name"] = std::string(events::kErasedMarker);
  EXPECT_EQ(handler_->create(admin, marked.command).kind, Kind::validation);
}

// A 409's body (the current state and every change since the client's version) is built
// from the same fold: after an erasure it shows markers, never a value the subject had.
TEST_P(PersonalData, AConflictAfterAnErasureShowsOnlyMarkers) {
  World world(*handler_, 0x14000006);
  SeededRandom random(19);
  const EntitySpec& workers = spec_of("worker");
  const auto admin = context_for(user_uuid(0));
  const EntityState worker = world.create(random, "worker");
  const std::string renamed = distinctive("renamed-worker-");
  const FieldMap rename{{"name", renamed}};
  ASSERT_TRUE(
      handler_->update(admin, UpdateEntity{&workers, worker.id, worker.version, rename}).ok());
  ASSERT_TRUE(handler_->erase(admin, {&workers, worker.id, "asked"}).ok());

  const FieldMap stale_edit{{"name", std::string("a later name")}};
  const Outcome outcome =
      handler_->update(admin, UpdateEntity{&workers, worker.id, worker.version, stale_edit});
  ASSERT_EQ(outcome.kind, Kind::conflict);
  const commands::ConflictInfo& conflict = outcome.conflict;
  ASSERT_TRUE(conflict.current_state);
  const events::FieldValue marker{std::string(events::kErasedMarker)};
  EXPECT_EQ(conflict.current_state->fields.at("name"), marker);
  EXPECT_EQ(conflict.current_state->fields.at("external_id"), marker);
  ASSERT_EQ(conflict.changes_since.size(), 2u);  // the rename and the erasure
  const std::vector<std::string> had{std::get<std::string>(worker.fields.at("name")),
                                     std::get<std::string>(worker.fields.at("external_id")),
                                     renamed};
  for (const auto& entry : conflict.changes_since) {
    for (const auto& [name, change] : entry.changes) {
      for (const auto* value : {&change.from, &change.to}) {
        const auto* text = std::get_if<std::string>(value);
        if (!text) continue;
        for (const auto& old : had) EXPECT_NE(*text, old) << entry.event_type << " " << name;
      }
    }
  }
  EXPECT_EQ(conflict.changes_since.front().changes.at("name").to, marker);
}

// A purge cut short (the process died after the erasure committed) leaves freed space
// holding what was deleted: running the erasure again writes nothing and purges again.
TEST_P(PersonalData, ErasingAgainPurgesWhatTheFirstPurgeLeft) {
  World world(*handler_, 0x14000005);
  SeededRandom random(18);
  const EntitySpec& workers = spec_of("worker");
  const auto admin = context_for(user_uuid(0));
  const EntityState worker = world.create(random, "worker");
  const Outcome first = handler_->erase(admin, {&workers, worker.id, "left"});
  ASSERT_TRUE(first.ok());

  // A key row written and deleted after that purge: its bytes stay in freed space (SQLite:
  // the WAL's page images; PostgreSQL: the dead row version) as an unpurged key would.
  const std::string left_behind = distinctive("left-behind-key-");
  const std::vector<store::SqlValue> row{"worker-left-behind", left_behind};
  store_->transact(store::Access::read_write, [&](store::Transaction& tx) {
    tx.execute("INSERT INTO subject_keys (stream_id, subject_key) VALUES ($1, $2)", row);
    return store::Verdict::commit;
  });
  run_sql("DELETE FROM subject_keys WHERE stream_id = $1", "worker-left-behind");
  ASSERT_NE(files_holding(database_files(*store_, *db_), left_behind), std::vector<std::string>{})
      << "the test needs the deleted row's bytes on disk before the second erasure";

  const Outcome again = handler_->erase(admin, {&workers, worker.id, "left"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.entity.version, first.entity.version);  // no event
  EXPECT_EQ(files_holding(database_files(*store_, *db_), left_behind), std::vector<std::string>{});
}

// A read transaction with a snapshot taken now on its own store, until released.
// PostgreSQL: REPEATABLE READ, so that the snapshot (backend_xmin) outlives the statement.
HeldTransaction older_reader(const TestDatabase& db) {
  const bool postgres = db.backend() == testing::Backend::postgres;
  return HeldTransaction(db, postgres ? store::Access::read_write : store::Access::read_only,
                         [postgres](store::Transaction& tx) {
                           if (postgres) {
                             tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", {});
                           }
                           tx.query("SELECT count(*) FROM workers", {});
                         });
}

// An older reader keeps the purge from finishing: the erasure is committed, and the caller
// hears that the purge is not complete instead of an answer that all is gone.
TEST_P(PersonalData, AnErasureWhosePurgeAnOlderReaderHoldsSaysSoAndErasingAgainCompletesIt) {
  World world(*handler_, 0x14000006);
  SeededRandom random(19);
  const EntitySpec& workers = spec_of("worker");
  const auto admin = context_for(user_uuid(0));
  const EntityState worker = world.create(random, "worker");

  store::StoreOptions impatient;
  impatient.purge_wait = std::chrono::milliseconds(300);
  auto impatient_store = db_->open_store(impatient);
  CommandHandler impatient_handler(*impatient_store, commands::PasswordPolicy::fast_for_tests());
  HeldTransaction reader = older_reader(*db_);
  try {
    impatient_handler.erase(admin, {&workers, worker.id, "held"});
    ADD_FAILURE() << "the erasure reported a complete purge while an older reader was open";
  } catch (const store::PurgeIncomplete& e) {
    EXPECT_NE(std::string(e.what()).find("run it again"), std::string::npos) << e.what();
  }
  const auto erased = projections::fold(workers, worker.id, stream_of(*store_, workers, worker.id));
  for (const auto& [name, value] : personal_values(workers, worker)) {
    EXPECT_EQ(erased.fields.at(name), events::FieldValue(std::string(events::kErasedMarker)))
        << name;
  }

  reader.release();
  // With the usual wait: on PostgreSQL, tests running beside this one hold transactions too.
  const Outcome again = handler_->erase(admin, {&workers, worker.id, "held"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.entity.version, erased.version);  // no second event
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
