// The real `folio verify` binary on a store of each backend: what it prints and its exit
// status (0 intact, 1 tampering or drift, 2 usage, 3 database error).
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "store/log_sealer.h"
#include "store/log_verifier.h"
#include "tests/support/folio_process.h"
#include "tests/commands/domain_support.h"
#include "tests/http/server_process.h"

namespace folio::testing {
namespace {

using store::Access;
using store::SqlValue;
using store::Transaction;
using store::Verdict;

// `folio --db URL verify <args...>`.
CliResult run_verify(const std::string& url, std::vector<std::string> args) {
  args.insert(args.begin(), "verify");
  return run_folio(url, args);
}

class VerifyCli : public DomainTest {
 protected:
  void SetUp() override {
    DomainTest::SetUp();
    if (HasFatalFailure()) return;
    World world(*handler_, 0x7e120001);
    SeededRandom random(1);
    resource_ = world.create(random, "resource");
    world.create(random, "project");
  }

  void tamper(const char* sql, const std::string& id) {
    store_->transact(Access::read_write, [&](Transaction& tx) {
      const SqlValue param{id};
      EXPECT_EQ(tx.execute(sql, std::span(&param, 1)), 1u) << sql;
      return Verdict::commit;
    });
  }

  EntityState resource_;
};

TEST_P(VerifyCli, IntactStoreExitsZeroAndPrintsTheHeadHash) {
  const CliResult run = run_verify(db_->url(), {"--seal"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("INTACT"), std::string::npos) << run.out;
  const auto report = store::verify_log(*store_);
  ASSERT_TRUE(report.intact());
  EXPECT_EQ(report.events_after_last_seal, 0);  // --seal sealed everything
  EXPECT_NE(run.out.find("head:          position " + std::to_string(report.head_position) +
                         " running hash " + report.head_running_hash),
            std::string::npos)
      << run.out;

  const CliResult projections = run_verify(db_->url(), {"--projections"});
  EXPECT_EQ(projections.exit_code, 0) << projections.out << projections.err;
  EXPECT_NE(projections.out.find("INTACT"), std::string::npos) << projections.out;
}

TEST_P(VerifyCli, ExpectChecksARecordedHead) {
  const auto report = store::verify_log(*store_);
  const std::string head = std::to_string(report.head_position) + ":" + report.head_running_hash;
  const CliResult same = run_verify(db_->url(), {"--expect", head});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("matches"), std::string::npos) << same.out;
  const std::string other = std::to_string(report.head_position) + ":" + std::string(64, 'a');
  const CliResult differs = run_verify(db_->url(), {"--expect", other});
  EXPECT_EQ(differs.exit_code, 1) << differs.out << differs.err;
  EXPECT_NE(differs.out.find("recorded hash mismatch"), std::string::npos) << differs.out;
  EXPECT_EQ(run_verify(db_->url(), {"--expect", "12:nothex"}).exit_code, 2);
}

// The auditor's routine: sign the head, keep the statement; later the statement's
// signature is checked and the log must still extend it, whatever was appended since.
TEST_P(VerifyCli, SignedStatementsProveTheHeadUntilTheLogIsRewritten) {
  TempDir dir;
  const std::string key = dir.file("auditor");
  ASSERT_EQ(run_folio(db_->url(), {"keygen", key}).exit_code, 0);
  EXPECT_EQ(run_folio(db_->url(), {"keygen", key}).exit_code, 2);  // never overwritten
  const CliResult signed_run = run_verify(db_->url(), {"--sign", key + ".key"});
  ASSERT_EQ(signed_run.exit_code, 0) << signed_run.out << signed_run.err;
  const auto at = signed_run.out.find("folio-head v1 ");
  ASSERT_NE(at, std::string::npos) << signed_run.out;
  const std::string statement = signed_run.out.substr(at, signed_run.out.find('\n', at) - at);
  const auto head = store::verify_log(*store_);
  EXPECT_NE(statement.find("position=" + std::to_string(head.head_position) +
                           " running_hash=" + head.head_running_hash + " time="),
            std::string::npos)
      << statement;
  write_file(dir.file("statements.txt"), "an auditor's notes\n" + statement + "\n");

  // Later writes extend the log: the statement still holds (given or from the file).
  World world(*handler_, 0x7e120002);
  SeededRandom random(2);
  world.create(random, "resource");
  for (const std::string& given : {statement, dir.file("statements.txt")}) {
    const CliResult later =
        run_verify(db_->url(), {"--expect", given, "--public-key", key + ".pub"});
    EXPECT_EQ(later.exit_code, 0) << later.out << later.err;
    EXPECT_NE(later.out.find("signature good, and the log extends it"), std::string::npos)
        << later.out;
  }

  // A statement edited after signing, or checked with another key, is refused.
  std::string forged = statement;
  forged.replace(forged.find("position=") + 9, 1, "9");
  const CliResult forged_run =
      run_verify(db_->url(), {"--expect", forged, "--public-key", key + ".pub"});
  EXPECT_EQ(forged_run.exit_code, 1) << forged_run.out << forged_run.err;
  EXPECT_NE(forged_run.err.find("signature does not match"), std::string::npos) << forged_run.err;
  ASSERT_EQ(run_folio(db_->url(), {"keygen", dir.file("other")}).exit_code, 0);
  EXPECT_EQ(run_verify(db_->url(), {"--expect", statement, "--public-key", dir.file("other.pub")})
                .exit_code,
            1);
  EXPECT_EQ(run_verify(db_->url(), {"--expect", statement}).exit_code, 2);  // no key given
  // A statement whose signature field overlaps its prefix (found by fuzzing: it crashed).
  const CliResult overlap = run_verify(
      db_->url(), {"--expect", "folio-head v1 signature=00", "--public-key", key + ".pub"});
  EXPECT_EQ(overlap.exit_code, 2) << overlap.out << overlap.err;
  EXPECT_FALSE(overlap.err.empty());

  // An event before the signed head rewritten: the statement no longer holds.
  tamper("UPDATE events SET request_id = 'forged' WHERE stream_id = $1 AND stream_version = 1",
         "resource-" + resource_.id);
  const CliResult tampered =
      run_verify(db_->url(), {"--expect", statement, "--public-key", key + ".pub"});
  EXPECT_EQ(tampered.exit_code, 1) << tampered.out << tampered.err;
  EXPECT_NE(tampered.out.find("TAMPERED"), std::string::npos) << tampered.out;
  // ...and a tampered log gets no signature.
  const CliResult refused = run_verify(db_->url(), {"--sign", key + ".key"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.out.find("folio-head v1"), std::string::npos) << refused.out;
}

TEST_P(VerifyCli, AlteredEventExitsOneAndNamesIt) {
  constexpr const char* kEditType =
      "UPDATE events SET request_id = 'forged' WHERE stream_id = $1 AND stream_version = 1";
  tamper(kEditType, "resource-" + resource_.id);
  const CliResult run = run_verify(db_->url(), {});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("TAMPERED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("altered: position"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("stream resource-" + resource_.id + " version 1"), std::string::npos)
      << run.out;
}

TEST_P(VerifyCli, ReadModelDriftExitsOneAndNamesEntityAndField) {
  constexpr const char* kRename = "UPDATE resources SET name = 'Behind your back' WHERE id = $1";
  tamper(kRename, resource_.id);
  const CliResult hashes = run_verify(db_->url(), {});
  EXPECT_EQ(hashes.exit_code, 0) << "the events are intact: " << hashes.out;
  const CliResult run = run_verify(db_->url(), {"--projections"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("DRIFT resource " + resource_.id + ": fields differ"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("name: expected \"" + projections::text_field(resource_.fields, "name") +
                         "\", actual \"Behind your back\""),
            std::string::npos)
      << run.out;
}

TEST_P(VerifyCli, BadUsageExitsTwo) {
  EXPECT_EQ(run_verify(db_->url(), {"--no-such-option"}).exit_code, 2);
  EXPECT_EQ(run_verify(db_->url(), {"--batch-size", "0"}).exit_code, 2);
  EXPECT_EQ(run_verify(db_->url(), {"--seal", "--projections"}).exit_code, 2);
  const CliResult help = run_verify(db_->url(), {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--seal"), std::string::npos);
  EXPECT_NE(help.out.find("Exit status"), std::string::npos);
}

TEST_P(VerifyCli, UnmigratedDatabaseExitsThree) {
  const auto empty = TestDatabase::create(GetParam());
  const CliResult run = run_verify(empty->url(), {});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(run.err.find("database error"), std::string::npos) << run.err;
}

TEST_P(VerifyCli, ServeSealsTheLogInTheBackgroundAndStopsCleanly) {
  // Waits until the last seal is at the log's head; false after 30 s.
  auto sealed_to_head = [&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::int64_t head = store::verify_log(*store_).head_position;
      std::int64_t sealed = 0;
      store_->transact(store::Access::read_only, [&](store::Transaction& tx) {
        const auto seal = store::last_seal(tx);
        sealed = seal ? seal->position : 0;
        return store::Verdict::commit;
      });
      if (sealed == head) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  {
    http_test::ServerProcess server({db_->url(), {}, true});  // the admin bootstrap appends
    ASSERT_GT(server.port(), 0);
    EXPECT_TRUE(sealed_to_head()) << "the events written before the server started";
    World world(*handler_, 0x7e120002);  // another writer on the same database, meanwhile
    SeededRandom random(2);
    world.create(random, "worker_type");
    EXPECT_TRUE(sealed_to_head()) << "an event appended while the server runs";
    EXPECT_EQ(server.terminate(), 0) << server.stderr_text();  // the sealer thread stops too
    EXPECT_EQ(server.stdout_text().find("log_sealer_failed"), std::string::npos)
        << server.stdout_text();
  }
  const CliResult run = run_verify(db_->url(), {});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(", 0 events after the last seal"), std::string::npos) << run.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, VerifyCli, ::testing::ValuesIn(all_backends()), BackendName());

}  // namespace
}  // namespace folio::testing
