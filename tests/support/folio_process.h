// Runs the real `folio` binary as a child process and collects what it printed and its
// exit status, for tests of the operator commands.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace folio::testing {

struct CliResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// `folio --db <database_url> <args...>`, waiting for it to end.
CliResult run_folio(const std::string& database_url, const std::vector<std::string>& args);

// Starts `folio <args...>` without waiting (to signal it while it works), its standard
// output and error both to `output_path`, standard input empty. Pair with wait_folio.
pid_t start_folio(const std::vector<std::string>& args, const std::string& output_path);
// Waits for a started `folio` to end; its exit code, 128+N when killed by signal N.
int wait_folio(pid_t pid);

// A fresh temporary directory, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
std::vector<std::string> lines_of(const std::string& text);

}  // namespace folio::testing
