#include "http/static_files.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "http/request_parsing.h"

namespace folio::http {

namespace {

namespace fs = std::filesystem;
using beast_http::status;

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
// The console loads only its own script, styles and API; nothing inline, no frames.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

constexpr std::string_view kNotBuilt =
    "Folio is running, but the web console has not been built.\n"
    "\n"
    "Build it (needs Node.js 20+ and npm):\n"
    "  cd web && npm ci && npm run build\n"
    "or run scripts/build.sh, which does the same when npm is installed.\n"
    "Then reload this page. To serve a console built elsewhere, start\n"
    "  folio serve --web-root DIR   (or set FOLIO_WEB_ROOT=DIR)\n"
    "\n"
    "The HTTP API is available under /api/v1/ (see /api/v1/openapi.json).\n";

// The decoded path segments of `target` (request_parsing.h), or nullopt when any is
// refused: malformed percent-encoding, empty, hidden (".x", so also "." and ".."), or
// holding a slash, backslash or NUL once decoded.
std::optional<std::vector<std::string>> safe_segments(std::string_view target) {
  Target parsed = parse_target(target);
  if (parsed.malformed) return std::nullopt;
  for (const auto& segment : parsed.segments) {
    if (segment.empty() || segment.front() == '.' ||
        segment.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos) {
      return std::nullopt;
    }
  }
  return std::move(parsed.segments);
}

// True when `file` is `root` or below it (both canonical).
bool inside(const fs::path& root, const fs::path& file) {
  return std::mismatch(root.begin(), root.end(), file.begin(), file.end()).first == root.end();
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  }};
  const auto dot = file_name.rfind('.');
  if (dot != std::string_view::npos) {
    std::string ext(file_name.substr(dot));
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& [suffix, type] : kTypes) {
      if (ext == suffix) return type;
    }
  }
  return "application/octet-stream";
}

Response static_file_response(const std::string& web_root, std::string_view target,
                              std::string_view if_none_match) {
  const std::string_view path = target.substr(0, target.find('?'));
  std::error_code ec;
  if (web_root.empty() || !fs::is_directory(web_root, ec)) {
    if (path != "/" && path != "/index.html") return not_found();
    Response r{status::ok, 11};
    r.set(beast_http::field::content_type, "text/plain; charset=utf-8");
    r.set(beast_http::field::cache_control, kRevalidate);
    r.body() = kNotBuilt;
    r.prepare_payload();
    return r;
  }
  auto segments = safe_segments(target);
  if (!segments) return not_found();
  if (segments->empty()) segments->push_back("index.html");

  const fs::path root = fs::canonical(web_root, ec);
  if (ec) return not_found();
  fs::path file = root;
  for (const auto& s : *segments) file /= s;
  // Symbolic links are followed only while they stay inside the root.
  const fs::path real = fs::canonical(file, ec);
  if (ec || !inside(root, real) || !fs::is_regular_file(real, ec)) return not_found();

  const auto size = fs::file_size(real, ec);
  if (ec) return not_found();
  const auto mtime = fs::last_write_time(real, ec).time_since_epoch().count();
  std::ostringstream etag;
  etag << "\"" << std::hex << size << "-" << mtime << "\"";

  Response r{status::ok, 11};
  const bool hashed = segments->size() > 1 && segments->front() == "assets";
  r.set(beast_http::field::cache_control, hashed ? kImmutable : kRevalidate);
  r.set(beast_http::field::etag, etag.str());
  r.set("X-Content-Type-Options", "nosniff");
  const std::string_view type = content_type_for(segments->back());
  r.set(beast_http::field::content_type, type);
  if (type.rfind("text/html", 0) == 0) {
    r.set("Content-Security-Policy", kContentSecurityPolicy);
    r.set("X-Frame-Options", "DENY");
  }
  if (!if_none_match.empty() && (if_none_match == etag.str() || if_none_match == "*")) {
    r.result(status::not_modified);
    r.prepare_payload();
    return r;
  }
  std::ifstream in(real, std::ios::binary);
  std::string body(size, '\0');
  if (!in.read(body.data(), static_cast<std::streamsize>(size))) return not_found();
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

}  // namespace folio::http
