#include "store/database_url.h"

#include <stdexcept>

namespace folio::store {

namespace {
bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
}  // namespace

DatabaseUrl parse_database_url(const std::string& url) {
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    return {DatabaseUrl::Kind::postgresql, url};
  }
  if (starts_with(url, "sqlite:")) {
    std::string rest = url.substr(7);
    // sqlite:///abs -> "/abs"; sqlite://rel -> "rel"; sqlite:rel -> "rel"
    if (starts_with(rest, "//")) rest = rest.substr(2);
    if (rest.empty()) throw std::invalid_argument("database URL '" + url + "' names no file");
    return {DatabaseUrl::Kind::sqlite, rest};
  }
  throw std::invalid_argument("unsupported database URL '" + redact_database_url(url) +
                              "': expected sqlite:///path/to/file.db or "
                              "postgresql://user:password@host:port/database");
}

std::string redact_database_url(const std::string& url) {
  std::string result = url;
  // user:password@host
  const auto scheme_end = result.find("://");
  if (scheme_end != std::string::npos) {
    const auto at = result.find('@', scheme_end + 3);
    const auto colon = result.find(':', scheme_end + 3);
    const auto slash = result.find('/', scheme_end + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at &&
        (slash == std::string::npos || at < slash)) {
      result = result.substr(0, colon + 1) + "***" + result.substr(at);
    }
  }
  // ?password=... or &password=...
  for (const char* key : {"?password=", "&password="}) {
    const auto start = result.find(key);
    if (start == std::string::npos) continue;
    const auto value = start + std::string(key).size();
    const auto end = result.find('&', value);
    result = result.substr(0, value) + "***" +
             (end == std::string::npos ? std::string() : result.substr(end));
  }
  return result;
}

}  // namespace folio::store
