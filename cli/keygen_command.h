// `folio keygen PREFIX`: an Ed25519 key pair for signed statements of the log head
// (`folio verify --sign`, store/signed_head.h).
#pragma once

#include "cli/cli_context.h"

namespace folio::cli {

// Exit status: 0 written, 2 bad usage or a file that exists or cannot be written.
int run_keygen_command(const CliContext& context);

}  // namespace folio::cli
