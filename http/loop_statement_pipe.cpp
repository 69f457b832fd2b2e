#include "http/loop_statement_pipe.h"

#include <poll.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

namespace folio::http {

namespace asio = boost::asio;

LoopStatementPipe::LoopStatementPipe(asio::io_context& loop, std::shared_ptr<LoopMailbox> mailbox,
                                     std::unique_ptr<store::StatementPipe> pipe)
    : loop_(loop), pipe_(std::move(pipe)), mailbox_(std::move(mailbox)) {
  pipe_->set_before_close([this] { forget_socket(); });
  asio::post(loop_, [this] { pipe_->open(); });
}

LoopStatementPipe::~LoopStatementPipe() {
  mailbox_->close();  // answers of writes still out are dropped
  forget_socket();
  pipe_->set_before_close({});
}

void LoopStatementPipe::forget_socket() {
  if (!socket_) return;
  // Our own duplicate (see watch): closing it takes it out of the loop's epoll by a number
  // that is still ours. libpq may already have closed its descriptor, whose number the
  // acceptor may have handed to a new connection registered in this very epoll.
  boost::system::error_code ignored;
  if (watching_duplicate_) {
    socket_->close(ignored);
  } else {
    socket_->release();  // the pipe's own descriptor: the pipe closes it
  }
  socket_.reset();
  ++generation_;
  reading_ = writing_ = false;
}

void LoopStatementPipe::submit(const char* sql, std::span<const store::SqlValue> params,
                               Done done) {
  pipe_->submit(sql, params, std::move(done));
  if (flush_posted_) return;
  // Posted behind the handlers already queued: the requests read in this turn of the loop
  // are submitted by the time it runs.
  flush_posted_ = true;
  asio::post(loop_, [this] {
    flush_posted_ = false;
    flush_now();
  });
}

void LoopStatementPipe::submit_write(std::unique_ptr<store::PipedWrite> write, WriteDone done) {
  pipe_->submit_write(
      std::move(write), [mailbox = mailbox_, done = std::move(done)](
                            store::WriteAnswer answer, std::int64_t position) mutable {
        // Moved, not copied: what `done` holds is let go on the loop, not on the sender's thread.
        mailbox->post([done = std::move(done), answer, position] { done(answer, position); });
      });
}

bool LoopStatementPipe::flush() { return pipe_->flush(); }

void LoopStatementPipe::on_readable() { pipe_->on_readable(); }

// asio registers descriptors edge-triggered and does not look before a wait starts: data
// that arrived before (or that libpq left unread) raises no event for it. So every wait is
// followed by a look of our own (poll with no timeout), and a read pass reads until the
// socket is empty.
bool LoopStatementPipe::ready(short events) const {
  pollfd fd{pipe_->socket(), events, 0};
  return fd.fd >= 0 && ::poll(&fd, 1, 0) > 0;
}

void LoopStatementPipe::flush_now() {
  bool output_waits = pipe_->flush();
  while (output_waits && ready(POLLOUT)) output_waits = pipe_->flush();
  watch(output_waits);
}

void LoopStatementPipe::read_now() {
  do {
    pipe_->on_readable();
  } while (pipe_->pending() > 0 && ready(POLLIN));
  watch(false);
}

void LoopStatementPipe::post_on_this_socket(void (LoopStatementPipe::*step)()) {
  asio::post(loop_, [this, step, generation = generation_] {
    if (generation == generation_) (this->*step)();
  });
}

void LoopStatementPipe::watch(bool output_waits) {
  const int fd = pipe_->socket();
  if (fd < 0 || pipe_->pending() == 0) return;
  if (!socket_) {
    const int own = ::dup(fd);       // watched by asio, closed by forget_socket
    watching_duplicate_ = own >= 0;  // else (no descriptor left) the pipe's own
    socket_.emplace(loop_, watching_duplicate_ ? own : fd);
    ++generation_;
  }
  if (!reading_) {
    reading_ = true;
    socket_->async_wait(asio::posix::stream_descriptor::wait_read,
                        [this, generation = generation_](boost::system::error_code ec) {
                          if (generation != generation_) return;  // a closed socket's wait
                          reading_ = false;
                          if (ec != asio::error::operation_aborted) read_now();
                        });
    if (ready(POLLIN)) post_on_this_socket(&LoopStatementPipe::read_now);
  }
  if (output_waits && !writing_) {
    writing_ = true;
    socket_->async_wait(asio::posix::stream_descriptor::wait_write,
                        [this, generation = generation_](boost::system::error_code ec) {
                          if (generation != generation_) return;
                          writing_ = false;
                          if (ec != asio::error::operation_aborted) flush_now();
                        });
    if (ready(POLLOUT)) post_on_this_socket(&LoopStatementPipe::flush_now);
  }
}

}  // namespace folio::http
