// fsync of files and directories, for what must be on the disk before anyone relies on it
// (a backup, the WAL's name). Throw StoreUnavailable.
#pragma once

#include <filesystem>

namespace folio::store::sqlite {

void sync_file(const std::filesystem::path& file);
// The directory holding `file`: makes `file`'s name (a creation, a rename) durable.
void sync_directory_of(const std::filesystem::path& file);

}  // namespace folio::store::sqlite
