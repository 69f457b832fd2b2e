#include "tests/http/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <csignal>
#include <random>

namespace folio::http_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(30);

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool has(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return true;
  }
  return false;
}

// Writing to a socket the server already closed must fail with EPIPE, not kill the test.
[[maybe_unused]] const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

bool HttpResponse::has_header(std::string_view name) const { return has(headers, name); }

json::value HttpResponse::json() const {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    ADD_FAILURE() << "response body is not JSON (status " << status << "): " << body.substr(0, 300);
    return nullptr;
  }
  return v;
}

json::object HttpResponse::object() const {
  json::value v = json();
  if (!v.is_object()) {
    if (!v.is_null())
      ADD_FAILURE() << "response body is not a JSON object: " << body.substr(0, 300);
    return {};
  }
  return v.get_object();
}

struct HttpClient::Impl {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(unsigned short port, bool keep_alive)
    : impl_(std::make_unique<Impl>()), port_(port), keep_alive_(keep_alive) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpResponse HttpClient::send(const HttpRequest& request) {
  HttpResponse out;
  beast::error_code ec;
  if (!impl_->stream || !keep_alive_) {
    impl_->stream.emplace(impl_->ioc);
    impl_->buffer.clear();
    impl_->stream->expires_after(kIoTimeout);
    impl_->stream->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    if (ec) {
      impl_->stream.reset();
      ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port_ << ": " << ec.message();
      return out;
    }
    ++connections_opened_;
  }
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method_string(request.method);
  req.target(request.target);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port_));
  if (!token_.empty() && !has(request.headers, "Authorization")) {
    req.set(bhttp::field::authorization, "Bearer " + token_);
  }
  for (const auto& [k, v] : request.headers) req.insert(k, v);
  if (!keep_alive_ && !has(request.headers, "Connection"))
    req.set(bhttp::field::connection, "close");
  req.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    req.prepare_payload();
  }
  auto& stream = *impl_->stream;
  stream.expires_after(kIoTimeout);
  bhttp::write(stream, req, ec);
  if (ec) {
    impl_->stream.reset();
    ADD_FAILURE() << request.method << " " << request.target << ": write failed: " << ec.message();
    return out;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 << 20);
  if (request.method == "HEAD") parser.skip(true);
  bhttp::read(stream, impl_->buffer, parser, ec);
  if (ec) {
    impl_->stream.reset();
    ADD_FAILURE() << request.method << " " << request.target << ": read failed: " << ec.message();
    return out;
  }
  auto response = parser.release();
  out.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(response.body());
  out.keep_alive = response.keep_alive();
  if (!out.keep_alive || !keep_alive_) {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    impl_->stream.reset();
  }
  return out;
}

HttpResponse HttpClient::get(const std::string& target, Headers headers) {
  return send({"GET", target, "", std::move(headers)});
}

namespace {
HttpRequest with_json(std::string method, const std::string& target, const json::value& body,
                      Headers headers) {
  if (!has(headers, "Content-Type")) headers.emplace_back("Content-Type", "application/json");
  return {std::move(method), target, json::serialize(body), std::move(headers)};
}
}  // namespace

HttpResponse HttpClient::post(const std::string& target, const json::value& body, Headers headers) {
  return send(with_json("POST", target, body, std::move(headers)));
}
HttpResponse HttpClient::put(const std::string& target, const json::value& body, Headers headers) {
  return send(with_json("PUT", target, body, std::move(headers)));
}
HttpResponse HttpClient::patch(const std::string& target, const json::value& body,
                               Headers headers) {
  return send(with_json("PATCH", target, body, std::move(headers)));
}
HttpResponse HttpClient::del(const std::string& target, Headers headers) {
  return send({"DELETE", target, "", std::move(headers)});
}

std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout, bool half_close) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server stopped reading: read what it answered
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[8192];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

int raw_status(const std::string& raw) {
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return 0;
  return std::atoi(raw.substr(9, 3).c_str());
}

std::string random_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    out[i] = kHex[rng() & 15];
  }
  out[14] = '4';
  out[19] = kHex[8 + (rng() & 3)];
  return out;
}

}  // namespace folio::http_test
