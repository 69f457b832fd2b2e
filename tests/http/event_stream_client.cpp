#include "tests/http/event_stream_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace folio::http_test {

namespace {

constexpr auto kHeadTimeout = std::chrono::seconds(30);

int connect_loopback(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

EventStreamClient::EventStreamClient(unsigned short port, const std::string& target,
                                     const std::string& token, const std::string& last_event_id) {
  fd_ = connect_loopback(port);
  if (fd_ < 0) {
    closed_ = true;
    return;
  }
  std::string request = "GET " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                        "Authorization: Bearer " +
                        token + "\r\n";
  if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
  request += "\r\n";
  if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    closed_ = true;
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + kHeadTimeout;
  std::size_t end = std::string::npos;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return;
  }
  head_ = buffer_.substr(0, end + 4);
  buffer_.erase(0, end + 4);
  if (head_.size() > 12 && head_.starts_with("HTTP/1.1 ")) status_ = std::stoi(head_.substr(9, 3));
}

EventStreamClient::~EventStreamClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool EventStreamClient::fill(std::chrono::steady_clock::time_point deadline) {
  if (closed_) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[16 << 10];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<ServerSentEvent> EventStreamClient::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // An event (or a block of comments and fields) ends with an empty line.
    std::size_t end;
    while ((end = buffer_.find("\n\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    const std::string block = buffer_.substr(0, end + 1);
    buffer_.erase(0, end + 2);
    ServerSentEvent event;
    bool has_data = false;
    for (std::size_t start = 0; start < block.size();) {
      const std::size_t eol = block.find('\n', start);
      const std::string line = block.substr(start, eol - start);
      start = eol + 1;
      if (line.starts_with(":")) {
        ++comments_;
      } else if (line.starts_with("id: ")) {
        event.id = line.substr(4);
      } else if (line.starts_with("data: ")) {
        if (has_data) event.data += '\n';
        event.data += line.substr(6);
        has_data = true;
      }
    }
    if (has_data) return event;
  }
}

}  // namespace folio::http_test
