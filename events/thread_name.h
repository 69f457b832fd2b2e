// Names the calling thread, so that `top -H`, `ps -L` and `perf report --sort comm` tell
// Folio's threads apart (the SQLite writer, the event loops, the worker pool...).
#pragma once

#include <pthread.h>

#include <string>

namespace folio {

// Linux keeps 15 characters of a thread's name; longer names are cut to fit.
inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace folio
