// load_actor_and_entity (access.h) in steps, for a caller that runs the statements itself:
// sql() and params() name the statement to run now, take() reads its rows. With a remembered
// actor the first statement reads the access epoch and the row; when the epoch moved, take()
// asks for a second one that reads the actor with the row. Used by a blocking unit of work
// and by an event loop's StatementPipe alike.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "commands/access.h"
#include "commands/actor_cache.h"

namespace folio::store {
class StatementPipe;
}

namespace folio::commands {

class ActorAndEntityRead {
 public:
  // `token` must outlive the read.
  ActorAndEntityRead(const TokenCheck& token, const events::EntitySpec& spec, std::string id);

  const char* sql() const { return sql_; }
  std::span<const store::SqlValue> params() const { return params_; }
  // The rows of sql(): true when the read is over (result() holds it); false when the
  // statement sql() and params() name now must run too.
  bool take(const std::vector<store::SqlRow>& rows);
  ActorAndEntity& result() { return result_; }
  // Once over: the access epoch at which the actor was read or confirmed.
  std::int64_t actor_epoch() const { return actor_epoch_; }

 private:
  void read_with_token();

  const TokenCheck& token_;
  const events::EntitySpec& spec_;
  const std::string id_;
  std::shared_ptr<const ActorCache::Entry> remembered_;  // null once read_with_token()
  const char* sql_ = nullptr;
  std::vector<store::SqlValue> params_;
  ActorAndEntity result_;
  std::int64_t actor_epoch_ = 0;
};

// Runs a read of `id` with `token` through `pipe` (store/statement_pipe.h), statement after
// statement, on the pipe's thread; `done` gets the finished read, or nullptr when the pipe
// could not carry it (then read the usual way, load_actor_and_entity, which meets the same
// failure). `pipe` must outlive the read.
void read_through_pipe(store::StatementPipe& pipe, TokenCheck token, const events::EntitySpec& spec,
                       std::string id, std::function<void(ActorAndEntityRead*)> done);

}  // namespace folio::commands
