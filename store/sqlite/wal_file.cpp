#include "store/sqlite/wal_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/store_error.h"

namespace folio::store::sqlite {

namespace {
[[noreturn]] void throw_errno(const std::string& what) {
  throw StoreUnavailable(what + ": " + std::strerror(errno));
}

int open_read_only(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) throw_errno("cannot open '" + path + "' to sync it");
  return fd;
}

// The WAL's name in its directory is durable only once the directory is synced (SQLite
// does the same the first time it syncs a journal).
void sync_directory_of(const std::string& path) {
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  const int fd = open_read_only(directory, O_DIRECTORY);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw_errno("cannot sync directory '" + directory + "'");
}
}  // namespace

WalFile::WalFile(const std::string& database_path) : path_(database_path + "-wal") {
  fd_ = open_read_only(path_, 0);
  sync_directory_of(path_);
}

WalFile::~WalFile() { ::close(fd_); }

void WalFile::sync() {
  struct stat status {};
  if (::fstat(fd_, &status) == 0 && status.st_nlink == 0) {
    // The WAL was deleted (every connection to the database closed) and is a new file now.
    ::close(fd_);
    fd_ = open_read_only(path_, 0);
    sync_directory_of(path_);
  }
  if (::fdatasync(fd_) != 0) throw_errno("fdatasync of '" + path_ + "' failed");
}

}  // namespace folio::store::sqlite
