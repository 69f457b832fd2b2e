// A SQLite VFS over the default one whose WAL files gather a transaction's frames and write
// them with one pwrite at its commit, instead of two per page.
//
// SQLite writes each WAL frame as two writes (its 24-byte header, then the page): a batch of
// the writer's commands that dirties a hundred pages costs two hundred system calls, and on
// this project's VMs a system call is dear (a profile of SQLite PATCHes put a third of the
// writer thread's time in writing frames, mostly the calls' own cost).
//
// What stays exactly as before:
// - A commit is in the operating system's hands before its COMMIT returns, and a failed
//   write fails that COMMIT: the write of the commit frame's page (the frame whose header
//   gives the database size) writes everything gathered, and its error is the frame's.
// - Nothing SQLite reads back is missing: any other operation on the WAL file (a read, a
//   sync, a truncate, its size, a write elsewhere, closing it) writes what was gathered first.
// - Another connection (the readers, the checkpointer, another process) sees frames only
//   once a commit has published them in the WAL index, which happens after the commit frame
//   was written; frames of a transaction not yet committed are nobody's to read.
// - A crash (kill -9) loses only frames of a transaction that had not committed.
// The one extra path: before the WAL index changes (xShmBarrier on the database file, which
// SQLite calls around every update of the index's header), frames still gathered on that
// thread are written, so that no index ever points past what is in the file.
#pragma once

namespace folio::store::sqlite {

// Registers the VFS (once, thread-safe) and returns its name, for sqlite3_open_v2.
const char* gathered_wal_vfs();

}  // namespace folio::store::sqlite
