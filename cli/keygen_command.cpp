#include "cli/keygen_command.h"

#include <ostream>
#include <stdexcept>

#include "cli/command_options.h"
#include "store/signed_head.h"

namespace folio::cli {

namespace {

const CommandSyntax kKeygenSyntax{
    "keygen", "Usage: folio keygen <prefix>",
    "Writes an Ed25519 key pair for signed statements of the event log's head:\n"
    "<prefix>.key, the secret key (mode 0600: `folio verify --sign <prefix>.key` refuses\n"
    "a key others can read), and <prefix>.pub, the public key the auditor keeps to check\n"
    "statements (`folio verify --expect STATEMENT --public-key <prefix>.pub`). Existing\n"
    "files are never overwritten. Keep the secret key where the database's administrators\n"
    "cannot change it, and the public key with the auditor.",
    "Exit status: 0 written, 2 bad usage or a file that exists or cannot be written.\n"};

}  // namespace

int run_keygen_command(const CliContext& context) {
  po::options_description options("Options");
  int exit_code = kExitOk;
  const auto values =
      parse_command_options(context, kKeygenSyntax, options, {{"prefix"}}, exit_code);
  if (!values) return exit_code;
  const std::string prefix = (*values)["prefix"].as<std::string>();
  try {
    store::write_key_files(prefix, store::generate_key_pair());
  } catch (const std::runtime_error& e) {
    context.err << "folio keygen: " << e.what() << "\n";
    return kExitUsage;
  }
  context.out << "wrote " << prefix << ".key (secret, mode 0600) and " << prefix
              << ".pub (public)\n";
  return kExitOk;
}

}  // namespace folio::cli
