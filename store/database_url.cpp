#include "store/database_url.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

namespace folio::store {

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// %XX decoded, as libpq decodes the keys of a URL's query; malformed escapes kept as they are.
std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

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

std::string with_postgres_options(const std::string& url, const std::string& options) {
  std::string encoded;  // percent-encoded: libpq decodes the values of a URL's parameters
  for (const unsigned char c : options) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      encoded += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  const auto question = url.find('?');
  if (question == std::string::npos) return url + "?options=" + encoded;
  // The URL's own options come after ours: for a setting given twice, the later one counts.
  for (const char* key : {"?options=", "&options="}) {
    const auto at = url.find(key, question);
    if (at != std::string::npos) {
      const auto value = at + std::string_view(key).size();
      return url.substr(0, value) + encoded + "%20" + url.substr(value);
    }
  }
  return url + (question + 1 == url.size() ? "" : "&") + "options=" + encoded;
}

std::string redact_database_url(const std::string& url) {
  std::string result = url;
  const auto scheme_end = result.find("://");
  if (scheme_end == std::string::npos) return result;
  // user:password@host: the authority ends at the path or the query; libpq takes its last
  // '@' as the end of the user information (a password may contain '@').
  const auto authority = scheme_end + 3;
  const auto authority_end = std::min(result.find('/', authority), result.find('?', authority));
  const auto at =
      result.rfind('@', authority_end == std::string::npos ? result.npos : authority_end - 1);
  if (at != std::string::npos && at >= authority) {
    const auto colon = result.find(':', authority);
    if (colon < at) result = result.substr(0, colon + 1) + "***" + result.substr(at);
  }
  // ...?password=...&..., every time it is given (libpq takes the last) and however its key
  // is spelled (libpq percent-decodes keys: "%70assword" is a password too).
  const auto question = result.find('?');
  if (question == std::string::npos) return result;
  std::string redacted = result.substr(0, question + 1);
  std::size_t start = question + 1;
  while (start <= result.size()) {
    const auto amp = std::min(result.find('&', start), result.size());
    const std::string pair = result.substr(start, amp - start);
    const auto eq = pair.find('=');
    const bool secret =
        eq != std::string::npos && percent_decoded(pair.substr(0, eq)) == "password";
    redacted += secret ? pair.substr(0, eq + 1) + "***" : pair;
    if (amp == result.size()) break;
    redacted += '&';
    start = amp + 1;
  }
  return redacted;
}

}  // namespace folio::store
