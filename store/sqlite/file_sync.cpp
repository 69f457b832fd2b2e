#include "store/sqlite/file_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "store/store_error.h"

namespace folio::store::sqlite {

namespace {
void sync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::error_code error(errno, std::generic_category());
    if (fd >= 0) ::close(fd);
    throw StoreUnavailable("cannot sync '" + path.string() + "': " + error.message());
  }
  ::close(fd);
}
}  // namespace

void sync_file(const std::filesystem::path& file) { sync_path(file, O_RDONLY); }

void sync_directory_of(const std::filesystem::path& file) {
  sync_path(std::filesystem::absolute(file).parent_path(), O_RDONLY | O_DIRECTORY);
}

}  // namespace folio::store::sqlite
