// JSON bodies into commands, for every entity type (the first byte picks it): the body's
// members become fields (http/entity_json.h) and are validated as for a create and for an
// update. Nothing a client sends may crash or throw out of them; what validates cleanly is
// in canonical form (validating it again changes nothing) and goes into an event payload
// that decodes to the same fields.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "commands/validation.h"
#include "events/entity_catalog.h"
#include "events/payload_codec.h"
#include "http/entity_json.h"

using namespace folio;

namespace {

void check(const events::EntitySpec& spec, const commands::FieldMap& input,
           commands::ValidationMode mode) {
  const auto validated = commands::validate_fields(spec, input, mode);
  if (!validated.errors.empty()) return;
  commands::check_entity_rules(spec, validated.fields);
  // Canonical: validated fields validate again as themselves (an update: defaults are in).
  const auto again =
      commands::validate_fields(spec, validated.fields, commands::ValidationMode::update);
  if (!again.errors.empty() || again.fields != validated.fields) std::abort();
  const std::string payload = events::encode_payload(events::EntityChanges{validated.fields});
  if (events::decode_payload<events::EntityChanges>(payload).fields != validated.fields) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto entities = events::all_entities();
  const events::EntitySpec& spec = entities[data[0] % entities.size()];
  boost::json::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 32;  // as the server parses bodies (http::kMaxJsonDepth)
  const auto body = boost::json::parse(
      std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), ec, {}, options);
  if (ec || !body.is_object()) return 0;
  std::vector<commands::FieldError> errors;
  const commands::FieldMap input = http::json_to_fields(body.as_object(), {"version"}, errors);
  check(spec, input, commands::ValidationMode::create);
  check(spec, input, commands::ValidationMode::update);
  return 0;
}
