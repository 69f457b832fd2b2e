// A consistent copy of a live SQLite database, with SQLite's online backup API: what
// `folio backup` runs. The server keeps reading and writing while it copies.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace folio::store::sqlite {

struct BackupSummary {
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
  std::int64_t events = 0;         // events in the copy
  std::int64_t head_position = 0;  // the copy's last global position (0: no events)
};

// Called after each step with the pages copied so far and the database's page count.
using BackupProgress = std::function<void(std::int64_t copied, std::int64_t total)>;

// Copies the database at `source_path` into a new file at `destination_path`.
// The copy is one snapshot: a read transaction is held on the source for the whole copy
// (in WAL mode it blocks no writer), so the backup never restarts however busy the
// server is. It is written to `destination_path` + ".partial", checked with
// PRAGMA quick_check, synced, and only then renamed, so a file at `destination_path` is
// always a whole, checked backup.
// Throws StoreUsageError when the destination exists or the source is missing,
// StoreUnavailable / StoreCorrupt on database errors (the partial file is removed).
BackupSummary backup_database(const std::string& source_path, const std::string& destination_path,
                              const BackupProgress& on_progress, int pages_per_step = 4096);

}  // namespace folio::store::sqlite
