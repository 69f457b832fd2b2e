// Event payloads as they could be found in a damaged or hand-edited database row: decoding
// either fails with PayloadDecodeError or gives changes that encode and decode to the same
// changes. Memory stays bounded (the ctest run sets -malloc_limit_mb): a length prefix
// larger than the row is refused before anything is allocated for it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "events/field_value.h"
#include "events/payload_codec.h"

using folio::events::EntityChanges;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  EntityChanges changes;
  try {
    changes = folio::events::decode_payload<EntityChanges>(bytes);
  } catch (const folio::events::PayloadDecodeError&) {
    return 0;
  }
  // Compared as bytes: a decoded NaN is a value too, and NaN != NaN.
  const std::string encoded = folio::events::encode_payload(changes);
  const auto again = folio::events::decode_payload<EntityChanges>(encoded);
  if (folio::events::encode_payload(again) != encoded) std::abort();
  return 0;
}
