#include "http/request_parsing.h"

#include <algorithm>
#include <cctype>

#include "commands/validation.h"

namespace folio::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

bool is_json_content_type(std::string_view value) {
  std::string lower;
  for (char c : value.substr(0, value.find(';'))) {
    if (c != ' ') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower == "application/json" || (lower.rfind("application/", 0) == 0 && lower.size() > 5 &&
                                         lower.compare(lower.size() - 5, 5, "+json") == 0);
}

}  // namespace

Target parse_target(std::string_view target) {
  Target result;
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  // One allocation for the list rather than one per doubling (a GET by id has four); capped,
  // since empty segments are dropped and a target of slashes alone must not reserve 16K.
  const auto slashes = static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
  result.segments.reserve(std::min<std::size_t>(slashes, 15) + 1);
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto piece =
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (!piece.empty()) {
      auto decoded = percent_decode(piece);
      if (!decoded) result.malformed = true;
      result.segments.push_back(decoded.value_or(""));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (question == std::string_view::npos) return result;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq));
      auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      // A NUL (%00) too: no parameter name or value holds one, and no column could store it.
      if (!key || !value || key->find('\0') != key->npos || value->find('\0') != value->npos) {
        result.malformed = true;
      } else {
        result.query[*key] = *value;
      }
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return result;
}

bool prefers_merge(const Request& request) {
  // Prefer: respond-async, merge=disjoint (several headers, or a list; tokens case-insensitive)
  const auto [first, last] = request.equal_range("Prefer");
  for (auto field = first; field != last; ++field) {
    std::string_view rest = field->value();
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      item = item.substr(0, item.find(';'));  // parameters of the preference
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (boost::beast::iequals(item, "merge=disjoint") ||
          boost::beast::iequals(item, "merge=\"disjoint\"")) {
        return true;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::string quoted_input(std::string_view text) {
  const bool printable = text.size() <= 100 && commands::utf8_length(text) >= 0 &&
                         std::none_of(text.begin(), text.end(),
                                      [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  return printable ? " '" + std::string(text) + "'" : "";
}

std::optional<std::int64_t> parse_version_text(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value > (INT64_MAX - (c - '0')) / 10) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_if_match(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.rfind("W/", 0) == 0) header.remove_prefix(2);
  if (header.size() >= 2 && header.front() == '"' && header.back() == '"') {
    header = header.substr(1, header.size() - 2);
  }
  return parse_version_text(header);
}

std::optional<boost::json::value> parse_json_body(const Request& request, Response& error) {
  using beast_http::status;
  const auto content_type = request[beast_http::field::content_type];
  if (!is_json_content_type(content_type)) {
    error = problem(status::unsupported_media_type, "unsupported_media_type",
                    "Unsupported media type", "The body must be JSON (application/json).");
    return std::nullopt;
  }
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::error_code ec;
  boost::json::value value = boost::json::parse(request.body(), ec, {}, options);
  if (ec) {
    error = problem(status::bad_request, "bad_request", "Malformed JSON",
                    "The body is not valid JSON (or nests deeper than 32 levels).");
    return std::nullopt;
  }
  return value;
}

std::string request_id_for(const Request& request) {
  const auto given = request["X-Request-Id"];
  const bool plain =
      !given.empty() && given.size() <= 64 && std::all_of(given.begin(), given.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  return plain ? std::string(given) : commands::new_id();
}

}  // namespace folio::http
