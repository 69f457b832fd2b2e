// A StatementPipe (store/statement_pipe.h) driven by one event loop: what is submitted while
// the loop handles its ready events goes out in one batch once they are handled, and the
// answers are read when the pipe's socket becomes readable, all on the loop's thread. So a
// loop never waits for the database while other requests of its connections are ready.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>
#include <optional>

#include "http/loop_mailbox.h"
#include "store/statement_pipe.h"

namespace folio::http {

class LoopStatementPipe final : public store::StatementPipe {
 public:
  // `mailbox` posts to `loop`.
  LoopStatementPipe(boost::asio::io_context& loop, std::shared_ptr<LoopMailbox> mailbox,
                    std::unique_ptr<store::StatementPipe> pipe);
  ~LoopStatementPipe() override;

  // Queues the statement and schedules the flush; `done` runs on the loop's thread.
  void submit(const char* sql, std::span<const store::SqlValue> params, Done done) override;
  // `done` runs on the loop's thread.
  void submit_write(std::unique_ptr<store::PipedWrite> write, WriteDone done) override;
  // The loop flushes, reads and opens by itself (open: once it runs); the wrapped pipe's.
  void open() override { pipe_->open(); }
  bool flush() override;
  void on_readable() override;
  std::size_t pending() const override { return pipe_->pending(); }
  int socket() const override { return pipe_->socket(); }
  void set_before_close(std::function<void()>) override {}

 private:
  void flush_now();
  void read_now();
  bool ready(short events) const;  // the socket is readable (POLLIN) or writable now
  // Runs `step` on the loop later, unless the pipe has moved to another socket meanwhile.
  void post_on_this_socket(void (LoopStatementPipe::*step)());
  // Waits for the socket to be readable while answers are due (and writable while output
  // waits), following the pipe to a new socket after it reconnected.
  void watch(bool output_waits);
  void forget_socket();  // before the pipe closes it

  boost::asio::io_context& loop_;
  std::unique_ptr<store::StatementPipe> pipe_;
  const std::shared_ptr<LoopMailbox> mailbox_;  // the answers of writes come through it
  std::optional<boost::asio::posix::stream_descriptor> socket_;
  bool watching_duplicate_ = false;  // socket_ holds a dup() of the pipe's descriptor
  unsigned generation_ = 0;          // of socket_: a wait on an older socket finds it changed
  bool flush_posted_ = false;
  bool reading_ = false;
  bool writing_ = false;
};

}  // namespace folio::http
