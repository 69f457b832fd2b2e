// The server's log: one JSON object per line on standard output. Lines are collected in
// memory and written in blocks by a background thread, so that a request neither makes a
// system call for its access-log line nor wakes another thread.
#pragma once

namespace folio::cli {

// Makes spdlog's default logger one that appends each formatted line to a shared buffer
// (one short critical section). A writer thread writes the buffer to standard output every
// 100 ms, at once after a warning or an error, and whenever it passes 256 KiB. Lines are
// never dropped: while 64 MiB wait unwritten (standard output is stuck), loggers wait.
void start_logging();

// Asks the writer to write what is buffered now (it does not wait for the write).
void flush_logging();

// Writes everything buffered and stops the writer thread. Call before the process exits.
void stop_logging();

}  // namespace folio::cli
