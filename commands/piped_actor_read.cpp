#include <memory>

#include "commands/actor_and_entity_read.h"
#include "store/statement_pipe.h"

namespace folio::commands {

namespace {

// One read through a StatementPipe, kept alive by the callback it is waiting for.
struct PipedRead {
  PipedRead(TokenCheck t, const events::EntitySpec& spec, std::string id,
            std::function<void(ActorAndEntityRead*)> d)
      : token(std::move(t)), read(token, spec, std::move(id)), done(std::move(d)) {}
  const TokenCheck token;
  ActorAndEntityRead read;
  const std::function<void(ActorAndEntityRead*)> done;
};

void send_next_statement(store::StatementPipe& pipe, std::shared_ptr<PipedRead> piped) {
  PipedRead& p = *piped;
  pipe.submit(p.read.sql(), p.read.params(),
              [&pipe, piped = std::move(piped)](const std::vector<store::SqlRow>* rows) mutable {
                // Only reading the rows is guarded: `done` runs exactly once, outside.
                bool understood = rows != nullptr;
                bool over = true;
                if (understood) {
                  try {
                    over = piped->read.take(*rows);
                  } catch (const std::exception&) {
                    understood = false;  // rows of an unexpected shape: the usual way
                  }
                }
                if (!understood) return piped->done(nullptr);
                if (!over) return send_next_statement(pipe, std::move(piped));
                piped->done(&piped->read);
              });
}

}  // namespace

void read_through_pipe(store::StatementPipe& pipe, TokenCheck token, const events::EntitySpec& spec,
                       std::string id, std::function<void(ActorAndEntityRead*)> done) {
  send_next_statement(
      pipe, std::make_shared<PipedRead>(std::move(token), spec, std::move(id), std::move(done)));
}

}  // namespace folio::commands
