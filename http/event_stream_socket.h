// The socket side of a live event stream (event_stream.h): writes what the hub sends, in
// order, on the connection's own event loop, and notices when the client goes away.
#pragma once

#include <atomic>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>

#include "http/event_stream.h"

namespace folio::http {

// Takes over `stream`, whose response head has been written; call it on the stream's loop.
// A write that makes no
// progress for `write_timeout` closes the connection; the socket's kernel send buffer is
// fixed at `send_buffer` bytes. `connections` counts it while it is open (the server's
// gauge; it must outlive the connection).
std::shared_ptr<EventStreamConnection> adopt_event_stream_socket(boost::beast::tcp_stream stream,
                                                                 std::chrono::seconds write_timeout,
                                                                 std::size_t send_buffer,
                                                                 std::atomic<int>& connections);

}  // namespace folio::http
