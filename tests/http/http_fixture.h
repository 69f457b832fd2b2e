// The fixture of the HTTP integration tests: a fresh database of the backend under test
// (unmigrated: the server migrates it on start), the real `folio serve` on a free port
// with a bootstrapped admin, and a keep-alive client logged in as that admin. Plus valid
// request bodies for every collection, so tests can build a plan through the API.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/http/http_client.h"
#include "tests/http/server_process.h"
#include "tests/support/test_database.h"

namespace folio::http_test {

using testing::Backend;

// The 13 collections in the order of DOMAIN.md (every reference points to an earlier one).
const std::vector<std::string>& all_collections();
// "project-phases" -> "project_phase"; "ProjectPhase" for event types.
std::string entity_type_of(const std::string& collection);
std::string event_prefix_of(const std::string& collection);
// The reference fields of a collection (the list filters), e.g. {"project_id", ...}.
std::vector<std::string> reference_fields_of(const std::string& collection);
bool is_admin_only(const std::string& collection);
bool is_organisation_wide(const std::string& collection);

// "2026-01-01" plus `n` days (n from 0 to 364).
std::string day(int n);

// The ids a new entity may refer to. Empty members are not needed (or not known).
struct Parents {
  std::string portfolio_id, program_id, project_id, resource_id, worker_type_id, worker_id,
      resource_assignment_id, user_id, user_role_id;
};

// A valid create body for `collection`. `n` makes unique values unique and dates distinct
// (phases, assignments and actuals use day n, so n from 0 to 364; rates the first half of
// year 2030 + n).
json::object create_body(const std::string& collection, const Parents& parents, int n);

// A field every role allowed to update the collection may change, and a valid value for it
// (distinct for distinct n).
std::pair<std::string, json::value> probe_change(const std::string& collection, int n);

// The field list of an entity representation must contain these.
void expect_entity_shape(const json::object& entity, const std::string& collection);

std::string backend_name_of(const ::testing::TestParamInfo<Backend>& info);

class HttpApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the server on db_ (the fixture does this in SetUp with default options).
  void start_server(const ServeOptions& options);

  unsigned short port() const { return server_->port(); }
  HttpClient client(bool keep_alive = true) const { return HttpClient(port(), keep_alive); }
  // A client with a token for this user.
  HttpClient login(const std::string& username, const std::string& password) const;
  std::string token_for(const std::string& username, const std::string& password) const;

  // Creates an entity as admin, expecting 201; returns its representation.
  json::object create(const std::string& collection, const json::object& body);
  // Creates (as admin) a user with one role and, unless scope_type is empty, one scope on
  // scope_target (a program or project id; nothing for "global"); logs the user in.
  struct RoleUser {
    std::string user_id, role_id, scope_id, username, password;
    HttpClient client;
  };
  RoleUser create_role_user(const std::string& username, const std::string& role,
                            const std::string& scope_type, const std::string& scope_target);

  // The current representation (admin's view); an empty object when not found.
  json::object current(const std::string& collection, const std::string& id);
  // The history items of an entity (admin's view).
  json::array history(const std::string& collection, const std::string& id);
  // The ids of every live entity of a collection (admin's view, all pages).
  std::vector<std::string> list_ids(const std::string& collection, const std::string& query = "");

  void expect_healthy();

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  HttpClient admin_{0};
  std::string admin_id_;
};

// Expects a problem+json response with this status and `error`.
void expect_problem(const HttpResponse& r, int status, const std::string& error,
                    const std::string& context = "");

// Expects the 409 version-conflict body of API.md: every member, the entity's current
// state (null when deleted) and the changes since `expected`, ending with the deletion.
void expect_version_conflict(const HttpResponse& r, const std::string& collection,
                             const std::string& id, std::int64_t expected, std::int64_t current,
                             bool deleted, const std::string& context = "");

std::string quoted(std::int64_t version);

// The value of one sample line of the exposition format (/metrics), or -1 when absent.
double metric_sample(const std::string& text, const std::string& series);

}  // namespace folio::http_test
