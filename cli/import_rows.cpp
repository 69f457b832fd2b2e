#include "cli/import_rows.h"

#include <boost/json.hpp>
#include <cstdio>
#include <random>
#include <set>

#include "cli/outcome_text.h"
#include "commands/validation.h"
#include "http/entity_json.h"
#include "projections/entity_state.h"

namespace folio::cli {

namespace {

namespace json = boost::json;

ImportLineError error(std::size_t line, std::string message) { return {line, std::move(message)}; }

const json::string* string_member(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value ? value->if_string() : nullptr;
}

// 256 bits from the operating system's random source, as hex.
std::string unguessable_password() {
  std::random_device source;
  std::string out;
  for (int i = 0; i < 8; ++i) {
    char chunk[9];
    std::snprintf(chunk, sizeof chunk, "%08x", static_cast<unsigned>(source()));
    out += chunk;
  }
  return out;
}

}  // namespace

std::variant<ImportRow, ImportLineError> parse_import_line(std::string_view text,
                                                           std::size_t line) {
  json::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) {
    return error(line, "not a JSON object" + (ec ? " (" + ec.message() + ")" : std::string()));
  }
  const json::object& object = parsed.get_object();
  const json::string* type = string_member(object, "entity_type");
  if (type == nullptr) return error(line, "entity_type is missing");
  ImportRow row;
  row.line = line;
  row.spec = events::find_entity_by_type(*type);
  if (row.spec == nullptr) return error(line, "unknown entity_type '" + std::string(*type) + "'");

  std::vector<commands::FieldError> errors;
  if (const auto* event_type = string_member(object, "event_type")) {
    if (*event_type != projections::created_event(*row.spec)) {
      return error(line, "only creation events can be imported, not " + std::string(*event_type));
    }
    const auto* version = object.if_contains("version");
    if (version == nullptr || !version->is_int64() || version->as_int64() != 1) {
      return error(line, "a creation event must have version 1");
    }
    const auto* id = string_member(object, "entity_id");
    const auto* data = object.if_contains("data");
    if (id == nullptr || data == nullptr || !data->is_object()) {
      return error(line, "an exported event needs entity_id and a data object");
    }
    row.id = *id;
    row.fields = http::json_to_fields(data->get_object(), {}, errors);
  } else {
    const auto* id = string_member(object, "id");
    if (id == nullptr) return error(line, "id is missing (ids are kept, so references hold)");
    row.id = *id;
    row.fields = http::json_to_fields(object, {"entity_type", "id", "version"}, errors);
  }
  if (!commands::is_uuid(row.id)) return error(line, "id must be a lower-case UUID");
  if (row.spec->type == "user" && !row.fields.count("password")) {
    row.fields["password"] = unguessable_password();
    row.locked_user = true;
  }
  if (!errors.empty()) return error(line, describe_field_errors(errors));
  auto validated = commands::validate_fields(*row.spec, row.fields, commands::ValidationMode::create);
  // Rules within the entity need its complete state: when the server computes a missing
  // field (an actual's cost), the handler checks them after computing it.
  bool complete = true;
  for (const auto& field : row.spec->fields) {
    if (field.computed && !validated.fields.contains(field.name)) complete = false;
  }
  if (validated.errors.empty() && complete) {
    validated.errors = commands::check_entity_rules(*row.spec, validated.fields);
  }
  if (!validated.errors.empty()) return error(line, describe_field_errors(validated.errors));
  return row;
}

std::vector<const events::EntitySpec*> types_in_reference_order() {
  std::vector<const events::EntitySpec*> ordered;
  std::set<std::string_view> placed;
  const auto all = events::all_entities();
  while (ordered.size() < all.size()) {
    const std::size_t before = ordered.size();
    for (const auto& spec : all) {
      if (placed.count(spec.type)) continue;
      bool ready = true;
      for (const auto& field : spec.fields) {
        if (field.kind == events::FieldKind::reference && field.references != spec.type &&
            !placed.count(field.references)) {
          ready = false;
        }
      }
      if (ready) {
        ordered.push_back(&spec);
        placed.insert(spec.type);
      }
    }
    if (ordered.size() == before) {  // a cycle: keep the catalog order for the rest
      for (const auto& spec : all) {
        if (!placed.count(spec.type)) ordered.push_back(&spec);
      }
    }
  }
  return ordered;
}

}  // namespace folio::cli
