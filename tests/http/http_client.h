// A small HTTP/1.1 client for the integration tests: Boost.Beast over a blocking socket,
// keep-alive or one connection per request, plus a raw-socket exchange for requests that
// are not valid HTTP at all. Every read and write has a timeout, so a hung server fails
// the test instead of hanging it.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace folio::http_test {

namespace json = boost::json;

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;  // 0: no response (connection failed or closed)
  Headers headers;
  std::string body;
  bool keep_alive = false;

  // Case-insensitive; "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The body as JSON; a JSON null (and a test failure) when it is not JSON.
  json::value json() const;
  // The body as a JSON object; an empty object (and a test failure) when it is not one.
  json::object object() const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  Headers headers;  // Host, Content-Length and (when a token is set) Authorization are added
};

class HttpClient {
 public:
  // keep_alive: one connection for many requests; else a new one per request, with
  // `Connection: close`.
  explicit HttpClient(unsigned short port, bool keep_alive = true);
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Sent as `Authorization: Bearer <token>` unless the request has its own.
  void set_token(std::string token) { token_ = std::move(token); }
  const std::string& token() const { return token_; }

  HttpResponse send(const HttpRequest& request);

  HttpResponse get(const std::string& target, Headers headers = {});
  HttpResponse post(const std::string& target, const json::value& body, Headers headers = {});
  HttpResponse put(const std::string& target, const json::value& body, Headers headers = {});
  HttpResponse patch(const std::string& target, const json::value& body, Headers headers = {});
  HttpResponse del(const std::string& target, Headers headers = {});

  // Connections opened so far (keep-alive checks).
  int connections_opened() const { return connections_opened_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  unsigned short port_;
  bool keep_alive_;
  std::string token_;
  int connections_opened_ = 0;
};

// Writes `bytes` to a new connection (ignoring write errors: the server may close early),
// optionally half-closes, then reads until the server closes or `timeout` passes.
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10),
                         bool half_close = false);

// The status code of the first response in raw bytes ("HTTP/1.1 413 ..."), 0 if none.
int raw_status(const std::string& raw);

// A random (version 4) lower-case UUID.
std::string random_uuid();

}  // namespace folio::http_test
