// The OpenAPI 3.1 document of the HTTP API, generated from the same entity descriptions
// as the code, so every collection, field and the version field appear exactly as served.
#pragma once

#include <boost/json.hpp>

namespace folio::http {

boost::json::object openapi_document();

}  // namespace folio::http
