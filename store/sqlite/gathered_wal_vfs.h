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
// - Only appends are gathered. A write below what was written or gathered since the WAL
//   started over (a page written again within its transaction, checksums rewritten after a
//   spill) goes to the file at once, so its error reaches SQLite where it happens.
// - Nothing SQLite reads back is missing: any other operation on the WAL file (a read, a
//   sync, a truncate, its size, a write elsewhere, closing it) writes what was gathered first.
// - Another connection (the readers, the checkpointer, another process) sees frames only
//   once a commit has published them in the WAL index, which happens after the commit frame
//   was written; frames of a transaction not yet committed are nobody's to read.
// - A crash (kill -9) loses only frames of a transaction that had not committed.
// Two safety nets on the database file, linked to its WAL (same connection): before the WAL
// index changes (xShmBarrier, which SQLite calls around every update of the index's header),
// and when the WAL's write lock is released (xShmLock of lock 0: a transaction that spilled
// frames and rolled back), what is still gathered is written, so that no index points past
// what is in the file and no later write lands over another writer's frames.
#pragma once

namespace folio::store::sqlite {

// Registers the VFS (once, thread-safe) and returns its name, for sqlite3_open_v2.
const char* gathered_wal_vfs();

// The same VFS over the registered VFS `base_name` instead of the default, registered (once)
// as `name`, which must live as long as the process: for tests that put a VFS failing
// writes underneath. Returns `name`, or nullptr when `base_name` is unknown or unsuitable.
const char* gathered_wal_vfs_over(const char* base_name, const char* name);

}  // namespace folio::store::sqlite
