// A descriptor of an SQLite database's write-ahead log, for syncing it from a thread that
// does not own the connection writing it (commit_syncer.h). fsync syncs the file, not the
// descriptor: this one makes durable what the writer connection wrote through its own.
#pragma once

#include <string>

namespace folio::store::sqlite {

class WalFile {
 public:
  // The WAL of the database at `database_path`, which must exist (a connection in WAL mode
  // has opened the database). Throws StoreUnavailable.
  explicit WalFile(const std::string& database_path);
  ~WalFile();
  WalFile(const WalFile&) = delete;
  WalFile& operator=(const WalFile&) = delete;

  // fdatasync: every frame written before the call is on the disk when it returns. Throws
  // StoreUnavailable.
  void sync();

 private:
  const std::string path_;
  int fd_ = -1;
};

}  // namespace folio::store::sqlite
