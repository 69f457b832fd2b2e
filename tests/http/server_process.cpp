#include "tests/http/server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#ifndef FOLIO_BINARY
#error "FOLIO_BINARY must name the folio executable"
#endif

namespace folio::http_test {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string make_temp_dir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "folio-http-test.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// Environment variables the child must not inherit: they would change what it serves.
bool inherited(const char* entry) {
  for (const char* name :
       {"FOLIO_DB=", "FOLIO_LISTEN=", "FOLIO_ADMIN_USERNAME=", "FOLIO_ADMIN_PASSWORD="}) {
    if (std::strncmp(entry, name, std::strlen(name)) == 0) return false;
  }
  return true;
}

}  // namespace

ServerProcess::ServerProcess(const ServeOptions& options, bool wait) {
  dir_ = make_temp_dir();
  stdout_path_ = dir_ + "/stdout.log";
  stderr_path_ = dir_ + "/stderr.log";

  // Everything the child needs is prepared before fork(): after it, only exec.
  std::vector<std::string> args{FOLIO_BINARY, "--db",     options.database_url,
                                "serve",      "--listen", "127.0.0.1:0"};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (inherited(*e)) env.emplace_back(*e);
  }
  if (options.bootstrap_admin) {
    env.emplace_back(std::string("FOLIO_ADMIN_USERNAME=") + kAdminUsername);
    env.emplace_back(std::string("FOLIO_ADMIN_PASSWORD=") + kAdminPassword);
  }
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int out_fd = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("cannot create the server's log files");
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ == 0) {
    // A test that dies must not leave its server behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (wait) wait_listening();
}

void ServerProcess::wait_listening() {
  if (pid_ <= 0 || port_ != 0) return;
  static const std::regex address(R"(at http://[^ /]+:([0-9]+)/)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    const std::string text = stdout_text();
    if (std::regex_search(text, m, address)) {
      port_ = static_cast<unsigned short>(std::stoi(m[1].str()));
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "folio serve exited before listening.\nstdout:\n"
                    << stdout_text() << "\nstderr:\n"
                    << stderr_text();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "folio serve printed no address within 60 s.\nstdout:\n"
                << stdout_text() << "\nstderr:\n"
                << stderr_text();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) terminate();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string ServerProcess::stdout_text() const { return read_file(stdout_path_); }
std::string ServerProcess::stderr_text() const { return read_file(stderr_path_); }

std::vector<boost::json::object> ServerProcess::log_events() const {
  std::vector<boost::json::object> events;
  std::istringstream lines(stdout_text());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() != '{') continue;
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (ec || !value.is_object()) {
      ADD_FAILURE() << "a log line that is not a JSON object: " << line;
      continue;
    }
    const auto* log = value.get_object().if_contains("log");
    if (log && log->is_object()) events.push_back(log->get_object());
  }
  return events;
}

void ServerProcess::send_signal(int signal) const {
  if (pid_ > 0) ::kill(pid_, signal);
}

int ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ServerProcess::terminate() {
  if (pid_ <= 0) return -1;
  send_signal(SIGTERM);
  const int code = wait_exit(std::chrono::seconds(20));
  if (code == -1 && pid_ > 0) {
    ADD_FAILURE() << "folio serve did not exit within 20 s of SIGTERM; killing it";
    send_signal(SIGKILL);
    wait_exit(std::chrono::seconds(5));
  }
  return code;
}

}  // namespace folio::http_test
