#include "store/sqlite/wal_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/sqlite/file_sync.h"
#include "store/store_error.h"

namespace folio::store::sqlite {

namespace {
[[noreturn]] void throw_errno(const std::string& what) {
  throw StoreUnavailable(what + ": " + std::strerror(errno));
}

int open_read_only(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open '" + path + "' to sync it");
  return fd;
}
}  // namespace

WalFile::WalFile(const std::string& database_path) : path_(database_path + "-wal") {
  fd_ = open_read_only(path_);
  sync_directory_of(path_);  // its name, as SQLite does the first time it syncs a journal
}

WalFile::~WalFile() { ::close(fd_); }

void WalFile::sync() {
  struct stat status {};
  if (::fstat(fd_, &status) == 0 && status.st_nlink == 0) {
    // The WAL was deleted (every connection to the database closed) and is a new file now.
    ::close(fd_);
    fd_ = open_read_only(path_);
    sync_directory_of(path_);
  }
  if (::fdatasync(fd_) != 0) throw_errno("fdatasync of '" + path_ + "' failed");
}

}  // namespace folio::store::sqlite
