// Group commit's batches with the row writes of one table merged into one statement.
//
// A batch of N one-statement writes costs PostgreSQL's backend N statements' executor
// start-up and shutdown; the same work as one set-based statement costs about a quarter
// less per row (docs/benchmarks.md 2026-12-07d: 9.1k against 11.7k rows/s on one
// connection), and that backend is what bounds the throughput of writes. So the members
// of a batch whose row write has the same shape (WriteAlong::shape: the creations of one
// entity type, or its updates) become one statement over a VALUES list of their
// parameters, doing per row exactly what each one did alone: an update's row guarded by its
// version (and the access epoch) and by the command id not yet in its stream, and the
// stream bump; a creation's row and its new stream; the event with its position and hash;
// both or neither. Its answer has a row per member: its ordinal and its event's position
// (NULL when nothing was written).
//
// The VALUES list has a power of two of rows (the rows after the members' are all NULL and
// write nothing), so that a connection prepares at most six statements per shape (2 to 64
// rows), not one per batch size.
//
// Only runs of adjacent members merge (the batch is in stream order), so the statements
// of a batch still run in stream order, each merged one over a range of streams, and two
// batches in flight still lock rows in one order (as long as PostgreSQL joins the short
// VALUES list to the table's primary key in the list's order, which is the plan it
// chooses for such lists). The rows of one statement share a snapshot, so two writes to
// one stream never go into the same merged statement: the second runs after it, as before.
// A merged statement that fails fails its batch, whose members then run alone, as for any
// failed statement of a batch (pg_group_commit.h).
#pragma once

#include <memory>
#include <vector>

#include "store/postgres/pg_group_commit.h"

namespace folio::store::postgres {

// The statements that carry a batch, in the order they run.
struct BatchStatements {
  std::vector<GroupWrite*> statements;              // members, and merged statements of several
  std::vector<std::unique_ptr<GroupWrite>> merged;  // the latter (their parts: members)

  // From `batch`, in order (GroupWrite::order_batch): each run of two or more adjacent
  // members of one shape and distinct streams merged into one statement.
  static BatchStatements of(const std::vector<GroupWrite*>& batch);
};

}  // namespace folio::store::postgres
