// Readiness for systemd (a Type=notify service, deploy/debian/folio.service): tells the
// service manager "READY=1" once the server listens and "STOPPING=1" when it shuts down,
// through the socket named by $NOTIFY_SOCKET (sd_notify's protocol, without libsystemd).
// Does nothing when the variable is unset: not started by systemd.
#pragma once

#include <string_view>

namespace folio::cli {

// Sends `state` ("READY=1", "STOPPING=1", "STATUS=..."); false when it could not (the
// service manager then sees the start time out, which is what should happen).
bool notify_service_manager(std::string_view state);

}  // namespace folio::cli
