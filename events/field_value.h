// Field values of entities, as carried by commands, events and read models.
//
// Every entity is described once (events/entity_catalog.h) as a list of typed fields; its
// state, the fields of a command and the changes of an event are all FieldMaps checked
// against that description. Canonical forms: dates "YYYY-MM-DD", money "1250.00" (exact
// decimal string), percentages and versions int64, booleans bool, ids lower-case UUIDs.
#pragma once

#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>

namespace folio::events {

// null, boolean, integer, floating point (only ever seen in input, and always rejected:
// money is never a JSON number), text.
using FieldValue = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

// Field name -> value; ordered so that serialization and comparison are deterministic.
// Looked up by string_view (std::less<>): the specs name fields as string_views, and a
// lookup that first built a std::string allocated for every name past 15 characters, on
// every read and write of an entity.
using FieldMap = std::map<std::string, FieldValue, std::less<>>;

inline bool is_null(const FieldValue& v) { return std::holds_alternative<std::monostate>(v); }

// The payload of every <Entity>Created / <Entity>Updated / <Entity>Deleted event: the
// fields set by the event (all of them on create, the changed ones on update, none on
// delete). Field names are stored with their values, so adding a field to an entity
// later keeps every old event decodable without a new class version.
struct EntityChanges {
  FieldMap fields;

  template <class Archive>
  void serialize(Archive& archive, std::uint32_t /*version*/) {
    archive(fields);
  }
};

}  // namespace folio::events

CEREAL_CLASS_VERSION(folio::events::EntityChanges, 1);
