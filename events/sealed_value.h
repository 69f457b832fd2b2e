// Personal values in event payloads, sealed with their data subject's key (issue 14):
// XChaCha20-Poly1305 from libsodium, the key kept outside the event stream (the
// subject_keys table), so that deleting the key erases the value while the hashed event
// bytes stay as they were.
//
// A sealed value is a text field value holding
//   "\xFF" "sealed1" || nonce (24 bytes) || ciphertext with its tag
// with the stream id and field name as associated data (a value moved to another stream or
// field does not open). No client value can look like one: every text field must be valid
// UTF-8, and 0xFF never occurs in UTF-8. Values written before sealing existed are plain and
// stay readable as they are (docs/personal-data.md, "Existing events").
#pragma once

#include <string>
#include <string_view>

#include "events/entity_catalog.h"
#include "events/field_value.h"

namespace folio::events {

// What a sealed value reads as once its key is gone (erased).
inline constexpr std::string_view kErasedMarker = "[erased]";

// A new random key, as hex (what subject_keys stores).
std::string new_subject_key();

bool is_sealed(std::string_view value);

// Seals `plain`; `key_hex` as made by new_subject_key.
std::string seal_value(std::string_view key_hex, std::string_view stream_id, std::string_view field,
                       std::string_view plain);

// The plain text of `sealed`: kErasedMarker when `key_hex` is empty (the key was erased).
// Throws PayloadDecodeError when it does not open (damaged bytes, another key).
std::string open_value(std::string_view key_hex, std::string_view stream_id, std::string_view field,
                       std::string_view sealed);

// True when `name` = `value` is to be sealed: a personal field (FieldSpec::personal) holding
// text other than the erased marker (which is nobody's data and stays readable without a key).
bool needs_sealing(const EntitySpec& spec, const std::string& name, const FieldValue& value);

// Seals the values of `fields` that need it (needs_sealing) in place.
void seal_personal_fields(const EntitySpec& spec, std::string_view key_hex,
                          std::string_view stream_id, FieldMap& fields);

// Opens every sealed value of `fields` in place (whatever the catalog says today, so that a
// field marked personal later, or no longer, still reads).
void open_sealed_fields(std::string_view key_hex, std::string_view stream_id, FieldMap& fields);

}  // namespace folio::events
