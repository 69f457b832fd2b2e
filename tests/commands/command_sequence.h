// Random command sequences over a small universe where collisions are likely: few ids per
// entity type, few names, few dates. Shared by the model-based test (model_test.cpp) and the
// SQLite-vs-PostgreSQL comparison (backend_equivalence_test.cpp).
//
// Seven entity types take part: portfolio, program, project, resource, resource_assignment,
// worker_type and rate. Between them they have every kind of rule: unique values, foreign
// keys, a date inside the parent's dates, a composite unique key, fixed fields, sibling
// overlap (rates), resource-day capacity and delete refused while children exist.
#pragma once

#include <rapidcheck.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/commands/domain_support.h"

namespace folio::testing::sequence {

inline constexpr int kSlots = 3;  // ids per entity type
inline constexpr int kUsers = 3;  // simulated users, each remembering the versions it saw

const std::vector<std::string>& types();

enum class VersionChoice {
  remembered,  // the version this user last saw (stale if someone wrote since)
  fresh,       // the stream's version read right before
  wrong,       // some version 1..6
  missing,     // none: a validation error
};

// Field values refer to other entities as "@<type>:<slot>" and carry unique values as
// "~<value>"; both are resolved per case (ids and unique values differ between cases that
// share a database).
struct BulkItem {
  int slot = 0;
  VersionChoice version = VersionChoice::fresh;
  int wrong_version = 1;
  FieldMap fields;
};

struct Op {
  enum class What { create, update, remove, bulk };
  What what = What::create;
  int user = 0;
  std::string type;
  int slot = 0;
  VersionChoice version = VersionChoice::fresh;
  int wrong_version = 1;
  FieldMap fields;
  std::vector<BulkItem> items;  // bulk
};

void showValue(const Op& op, std::ostream& os);
rc::Gen<Op> gen_op();
// What every case starts from (a portfolio, a program, two projects, a resource, a worker
// type and two assignments sharing a resource-day), so that children find parents and
// capacity runs short; then 1..max_ops random ops.
std::vector<Op> setup_ops();
rc::Gen<std::vector<Op>> gen_ops(int max_ops);

// Runs ops against one handler, resolving slots and unique values for case number `tag`.
class Runner {
 public:
  Runner(CommandHandler& handler, store::EventStore& store, unsigned tag);

  std::string id(const std::string& type, int slot) const;
  FieldMap resolve(const FieldMap& fields) const;
  // The version an op (or bulk item) sends.
  std::optional<std::int64_t> version_for(int user, const std::string& type, const std::string& id,
                                          VersionChoice choice, int wrong_version);
  // Runs `op`: one outcome, or one per bulk item (failed items as their outcome, succeeded
  // ones as ok with the new version). Updates the users' beliefs from the answers.
  std::vector<Outcome> run(const Op& op, std::size_t index);
  // Every id this runner may have written.
  std::vector<std::pair<std::string, std::string>> all_ids() const;  // (type, id)

  // The request of the op last run (after resolution), for models.
  struct Request {
    std::string type, id;
    std::optional<std::int64_t> version;
    FieldMap fields;
  };
  const std::vector<Request>& last_requests() const { return last_requests_; }

 private:
  void learn(int user, const std::string& id, const Outcome& outcome);

  CommandHandler& handler_;
  store::EventStore& store_;
  unsigned tag_;
  std::vector<std::map<std::string, std::int64_t>> beliefs_;
  std::vector<Request> last_requests_;
};

// A comparable text of an outcome without what differs between runs (timestamps).
std::string summary(const Outcome& outcome);

}  // namespace folio::testing::sequence
