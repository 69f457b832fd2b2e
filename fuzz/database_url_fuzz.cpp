// Database URLs (FOLIO_DB, --db): parsed or refused with std::invalid_argument, never
// anything else; and the redacted form that goes to logs and errors never shows a password,
// wherever a URL built around the fuzzer's bytes carries one (user information, a query
// parameter given more than once).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "store/database_url.h"

namespace {

constexpr std::string_view kSecret = "Zq9-secret";
constexpr std::string_view kOtherSecret = "Zq9-other";

// The bytes without the characters that would move the part elsewhere in the URL.
std::string part(std::string_view bytes, std::string_view structural) {
  std::string out;
  for (char c : bytes) {
    if (structural.find(c) == std::string_view::npos) out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string url(reinterpret_cast<const char*>(data), size);
  try {
    folio::store::parse_database_url(url);
  } catch (const std::invalid_argument&) {
  }
  folio::store::redact_database_url(url);

  const std::string_view bytes(url);
  const auto third = bytes.size() / 3;
  const std::string user = part(bytes.substr(0, third), "/?#@:");
  const std::string host = part(bytes.substr(third, third), "/?#@");
  const std::string query = part(bytes.substr(2 * third), "#");
  if ((user + host + query).find("Zq9") != std::string::npos) return 0;  // ours alone
  const std::string with_secrets = "postgresql://" + user + ":" + std::string(kSecret) + "@" +
                                   host + "/db?" + query + "&password=" + std::string(kOtherSecret);
  const std::string redacted = folio::store::redact_database_url(with_secrets);
  if (redacted.find(kSecret) != std::string::npos) std::abort();
  if (redacted.find(kOtherSecret) != std::string::npos) std::abort();
  return 0;
}
