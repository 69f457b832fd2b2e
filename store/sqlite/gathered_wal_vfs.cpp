#include "store/sqlite/gathered_wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>

namespace folio::store::sqlite {

namespace {

constexpr const char* kVfsName = "folio-gathered-wal";
// SQLite's WAL format: a 32-byte file header, then frames of a 24-byte header and a page.
// Bytes 4-7 of a frame's header (big-endian) are the database's size in pages after a
// commit, for the frame that commits, and 0 for every other frame.
constexpr int kWalHeaderSize = 32;
constexpr int kFrameHeaderSize = 24;
// A transaction's frames beyond this are written as they come (memory stays bounded).
constexpr std::size_t kMaxGathered = 1u << 20;
// The default (unix) VFS writes at most 128 KiB - 1 bytes per call: it masks the length
// with 0x1ffff, since SQLite itself never writes more than a page and a header at once.
constexpr std::size_t kMaxWrite = 120u << 10;

// What a WAL file holds back.
struct Gathered {
  std::string bytes;
  sqlite3_int64 offset = 0;       // of bytes[0] in the file
  bool commit_page_next = false;  // the last write was the header of a commit frame
  // The end of what was written or gathered since the WAL last started over (its header
  // written at offset 0): a write below it rewrites frames (a page written again within
  // its transaction, checksums recomputed at the commit) and goes to the file at once.
  sqlite3_int64 high_water = 0;
};

// Our file object: SQLite allocates szOsFile bytes for it, and the default VFS's own file
// object lives after ours.
struct File {
  sqlite3_file base;
  Gathered* gathered;  // WAL files only
  File* linked;        // a WAL file's database file and the other way round (same connection)
};
constexpr std::size_t kInnerOffset = (sizeof(File) + 7) & ~std::size_t{7};

File* as_file(sqlite3_file* file) { return reinterpret_cast<File*>(file); }
sqlite3_file* inner(sqlite3_file* file) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kInnerOffset);
}
const sqlite3_io_methods& inner_methods(sqlite3_file* file) { return *inner(file)->pMethods; }

// Writes what `file` (a WAL file) gathered, at once.
int write_gathered(File* file) {
  Gathered& g = *file->gathered;
  if (g.bytes.empty()) return SQLITE_OK;
  sqlite3_file* raw = inner(&file->base);
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < g.bytes.size() && rc == SQLITE_OK;) {
    const std::size_t n = std::min(kMaxWrite, g.bytes.size() - done);
    rc = raw->pMethods->xWrite(raw, g.bytes.data() + done, static_cast<int>(n),
                               g.offset + static_cast<sqlite3_int64>(done));
    done += n;
  }
  g.bytes.clear();  // keeps its capacity: the next transaction's frames reuse it
  return rc;
}

// Calls the default VFS's `method` on a WAL file once what it holds is in the file.
template <typename Method, typename... Args>
int after_gathered(sqlite3_file* f, Method sqlite3_io_methods::*method, Args... args) {
  if (const int rc = write_gathered(as_file(f)); rc != SQLITE_OK) return rc;
  return (inner_methods(f).*method)(inner(f), args...);
}

// --- Methods every file forwards to the default VFS's file ---
int forward_lock(sqlite3_file* f, int level) { return inner_methods(f).xLock(inner(f), level); }
int forward_unlock(sqlite3_file* f, int level) { return inner_methods(f).xUnlock(inner(f), level); }
int forward_check_reserved(sqlite3_file* f, int* out) {
  return inner_methods(f).xCheckReservedLock(inner(f), out);
}
int forward_sector_size(sqlite3_file* f) { return inner_methods(f).xSectorSize(inner(f)); }
int forward_device_characteristics(sqlite3_file* f) {
  return inner_methods(f).xDeviceCharacteristics(inner(f));
}
int forward_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return inner_methods(f).xShmMap(inner(f), region, size, extend, out);
}
int forward_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return inner_methods(f).xShmLock(inner(f), offset, n, flags);
}
void forward_shm_barrier(sqlite3_file* f) { inner_methods(f).xShmBarrier(inner(f)); }
int forward_shm_unmap(sqlite3_file* f, int delete_flag) {
  return inner_methods(f).xShmUnmap(inner(f), delete_flag);
}
int forward_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return inner_methods(f).xFetch(inner(f), offset, amount, out);
}
int forward_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return inner_methods(f).xUnfetch(inner(f), offset, page);
}

// --- Other files (the database): forwarded, but for the WAL index's barrier ---
int other_close(sqlite3_file* f) {
  if (File* wal = as_file(f)->linked) wal->linked = nullptr;
  return inner_methods(f).xClose(inner(f));
}
int other_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  return inner_methods(f).xRead(inner(f), out, amount, offset);
}
int other_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  return inner_methods(f).xWrite(inner(f), data, amount, offset);
}
int other_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return inner_methods(f).xTruncate(inner(f), size);
}
int other_sync(sqlite3_file* f, int flags) { return inner_methods(f).xSync(inner(f), flags); }
int other_file_size(sqlite3_file* f, sqlite3_int64* out) {
  return inner_methods(f).xFileSize(inner(f), out);
}
int other_file_control(sqlite3_file* f, int op, void* arg) {
  return inner_methods(f).xFileControl(inner(f), op, arg);
}
// SQLite calls it while it changes the WAL index's header (among other times): no index may
// point at frames still held back. Commit frames and rewrites were written at once, so what
// is left here belongs to no commit (a safety net: nothing should be left).
void other_shm_barrier(sqlite3_file* f) {
  if (File* wal = as_file(f)->linked) write_gathered(wal);
  inner_methods(f).xShmBarrier(inner(f));
}
// The WAL's write lock (lock 0) released: frames of a transaction that rolled back after
// spilling may still be held; they go to the file before another writer may append where
// they are, as SQLite would have written them (their errors matter to no commit).
int other_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  constexpr int kReleaseWriteLock = SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE;
  File* wal = as_file(f)->linked;
  if (wal && offset == 0 && (flags & kReleaseWriteLock) == kReleaseWriteLock) write_gathered(wal);
  return inner_methods(f).xShmLock(inner(f), offset, n, flags);
}

// --- WAL files ---
int wal_close(sqlite3_file* f) {
  File* file = as_file(f);
  const int written = write_gathered(file);
  if (file->linked) file->linked->linked = nullptr;
  delete file->gathered;
  file->gathered = nullptr;
  const int closed = inner_methods(f).xClose(inner(f));
  return written != SQLITE_OK ? written : closed;
}
int wal_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  return after_gathered(f, &sqlite3_io_methods::xRead, out, amount, offset);
}
int wal_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  File* file = as_file(f);
  Gathered& g = *file->gathered;
  const bool commit_page = g.commit_page_next;
  const auto* bytes = static_cast<const unsigned char*>(data);
  g.commit_page_next = amount == kFrameHeaderSize && offset >= kWalHeaderSize &&
                       (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
  if (offset == 0) g.high_water = 0;  // the WAL starts over
  const bool append = offset >= g.high_water;
  g.high_water = std::max(g.high_water, offset + amount);
  const bool contiguous =
      !g.bytes.empty() && offset == g.offset + static_cast<sqlite3_int64>(g.bytes.size());
  if (!g.bytes.empty() && !contiguous) {
    if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  }
  const auto write_through = [&] {
    return after_gathered(f, &sqlite3_io_methods::xWrite, data, amount, offset);
  };
  if (!append) return write_through();
  if (g.bytes.empty()) g.offset = offset;
  try {
    g.bytes.append(static_cast<const char*>(data), static_cast<std::size_t>(amount));
  } catch (const std::bad_alloc&) {
    return write_through();
  }
  // The commit frame's page: the transaction is complete, and its COMMIT must learn here
  // whether it reached the file. (Not at a commit frame's header: its page follows.)
  if (commit_page) return write_gathered(file);
  if (!g.commit_page_next && g.bytes.size() >= kMaxGathered) return write_gathered(file);
  return SQLITE_OK;
}
int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return after_gathered(f, &sqlite3_io_methods::xTruncate, size);
}
int wal_sync(sqlite3_file* f, int flags) {
  return after_gathered(f, &sqlite3_io_methods::xSync, flags);
}
int wal_file_size(sqlite3_file* f, sqlite3_int64* out) {
  return after_gathered(f, &sqlite3_io_methods::xFileSize, out);
}
int wal_file_control(sqlite3_file* f, int op, void* arg) {
  return after_gathered(f, &sqlite3_io_methods::xFileControl, op, arg);
}

// The database's methods (version 3, as the default VFS's files are: checked at open).
constexpr sqlite3_io_methods kOtherMethods = {3,
                                              other_close,
                                              other_read,
                                              other_write,
                                              other_truncate,
                                              other_sync,
                                              other_file_size,
                                              forward_lock,
                                              forward_unlock,
                                              forward_check_reserved,
                                              other_file_control,
                                              forward_sector_size,
                                              forward_device_characteristics,
                                              forward_shm_map,
                                              other_shm_lock,
                                              other_shm_barrier,
                                              forward_shm_unmap,
                                              forward_fetch,
                                              forward_unfetch};
// The WAL's: the same, but for the methods that meet what it holds back.
constexpr sqlite3_io_methods wal_methods() {
  sqlite3_io_methods methods = kOtherMethods;
  methods.xClose = wal_close;
  methods.xRead = wal_read;
  methods.xWrite = wal_write;
  methods.xTruncate = wal_truncate;
  methods.xSync = wal_sync;
  methods.xFileSize = wal_file_size;
  methods.xFileControl = wal_file_control;
  methods.xShmLock = forward_shm_lock;  // SQLite keeps the WAL index beside the database
  methods.xShmBarrier = forward_shm_barrier;
  return methods;
}
constexpr sqlite3_io_methods kWalMethods = wal_methods();

sqlite3_vfs* base_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int open_file(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = as_file(f);
  file->base.pMethods = nullptr;  // SQLite closes nothing that failed to open
  file->gathered = nullptr;
  file->linked = nullptr;
  sqlite3_vfs* base = base_vfs(vfs);
  if (const int rc = base->xOpen(base, name, inner(f), flags, out_flags); rc != SQLITE_OK) {
    return rc;
  }
  const bool wal = (flags & SQLITE_OPEN_WAL) != 0;
  if (inner(f)->pMethods->iVersion < 3) {
    inner(f)->pMethods->xClose(inner(f));
    return SQLITE_CANTOPEN;
  }
  if (wal) {
    file->gathered = new (std::nothrow) Gathered;
    if (!file->gathered) {
      inner(f)->pMethods->xClose(inner(f));
      return SQLITE_NOMEM;
    }
    // The connection's database file: its WAL index barrier writes what this one holds.
    if (auto* database = reinterpret_cast<File*>(sqlite3_database_file_object(name))) {
      database->linked = file;
      file->linked = database;
    }
  }
  file->base.pMethods = wal ? &kWalMethods : &kOtherMethods;
  return SQLITE_OK;
}

// The VFS's other methods, forwarded.
int vfs_delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  return base_vfs(v)->xDelete(base_vfs(v), name, sync_dir);
}
int vfs_access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return base_vfs(v)->xAccess(base_vfs(v), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* v, const char* name, int size, char* out) {
  return base_vfs(v)->xFullPathname(base_vfs(v), name, size, out);
}
void* vfs_dl_open(sqlite3_vfs* v, const char* name) {
  return base_vfs(v)->xDlOpen(base_vfs(v), name);
}
void vfs_dl_error(sqlite3_vfs* v, int size, char* out) {
  base_vfs(v)->xDlError(base_vfs(v), size, out);
}
void (*vfs_dl_sym(sqlite3_vfs* v, void* handle, const char* symbol))(void) {
  return base_vfs(v)->xDlSym(base_vfs(v), handle, symbol);
}
void vfs_dl_close(sqlite3_vfs* v, void* handle) { base_vfs(v)->xDlClose(base_vfs(v), handle); }
int vfs_randomness(sqlite3_vfs* v, int size, char* out) {
  return base_vfs(v)->xRandomness(base_vfs(v), size, out);
}
int vfs_sleep(sqlite3_vfs* v, int microseconds) {
  return base_vfs(v)->xSleep(base_vfs(v), microseconds);
}
int vfs_current_time(sqlite3_vfs* v, double* out) {
  return base_vfs(v)->xCurrentTime(base_vfs(v), out);
}
int vfs_get_last_error(sqlite3_vfs* v, int size, char* out) {
  return base_vfs(v)->xGetLastError(base_vfs(v), size, out);
}
int vfs_current_time_int64(sqlite3_vfs* v, sqlite3_int64* out) {
  return base_vfs(v)->xCurrentTimeInt64(base_vfs(v), out);
}

}  // namespace

namespace {

// Registers the VFS over `base` as `name` (SQLite keeps the object until the process ends).
bool register_over(sqlite3_vfs* base, const char* name) {
  if (!base || base->iVersion < 2) return false;
  auto* vfs = new sqlite3_vfs{};
  vfs->iVersion = 2;
  vfs->szOsFile = static_cast<int>(kInnerOffset) + base->szOsFile;
  vfs->mxPathname = base->mxPathname;
  vfs->zName = name;
  vfs->pAppData = base;
  vfs->xOpen = open_file;
  vfs->xDelete = vfs_delete;
  vfs->xAccess = vfs_access;
  vfs->xFullPathname = vfs_full_pathname;
  vfs->xDlOpen = vfs_dl_open;
  vfs->xDlError = vfs_dl_error;
  vfs->xDlSym = vfs_dl_sym;
  vfs->xDlClose = vfs_dl_close;
  vfs->xRandomness = vfs_randomness;
  vfs->xSleep = vfs_sleep;
  vfs->xCurrentTime = vfs_current_time;
  vfs->xGetLastError = vfs_get_last_error;
  vfs->xCurrentTimeInt64 = vfs_current_time_int64;
  if (sqlite3_vfs_register(vfs, 0) == SQLITE_OK) return true;
  delete vfs;
  return false;
}

}  // namespace

const char* gathered_wal_vfs() {
  // Not the unix VFS (iVersion < 2): nullptr, the default.
  static const char* const name =
      register_over(sqlite3_vfs_find(nullptr), kVfsName) ? kVfsName : nullptr;
  return name;
}

const char* gathered_wal_vfs_over(const char* base_name, const char* name) {
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  if (sqlite3_vfs_find(name)) return name;
  return register_over(sqlite3_vfs_find(base_name), name) ? name : nullptr;
}

}  // namespace folio::store::sqlite
