// The web console's static files (web/dist after `npm run build`), served at "/". A plain
// function from a request path to a response: no sockets, so it is unit-testable alone.
#pragma once

#include <string>
#include <string_view>

#include "http/problem.h"

namespace folio::http {

// The response for a GET of `target` (the request target: path and maybe "?query") under
// `web_root`:
//   "/" serves index.html; other paths the file of that name below the root.
//   Content-Type from the extension; "Cache-Control: public, max-age=31536000, immutable"
//   for files under /assets/ (their names carry a content hash), "no-cache" for the rest,
//   with an ETag (size and modification time) and 304 when `if_none_match` matches it.
//   404 problem+json for a missing file, a folder, a hidden name (".x"), any ".." or
//   "." segment, a backslash or NUL, a malformed percent-encoding, or a symbolic link
//   leading out of the root: nothing outside `web_root` is ever read.
//   When `web_root` is empty or not a folder, "/" answers 200 text/plain explaining how
//   to build the console, and every other path 404.
// Never throws for anything a client sends; reads the file on the calling thread.
Response static_file_response(const std::string& web_root, std::string_view target,
                              std::string_view if_none_match = {});

// The Content-Type for a file name, by extension ("application/octet-stream" if unknown).
std::string_view content_type_for(std::string_view file_name);

}  // namespace folio::http
