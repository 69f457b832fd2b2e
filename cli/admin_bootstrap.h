// Creating the first admin: a user plus an active admin role, through the ordinary
// command handler (as the system), so it is recorded as events like any other change.
#pragma once

#include <string>

#include "commands/command_handler.h"

namespace folio::cli {

struct AdminAccount {
  std::string username;
  std::string password;
  std::string email;  // default: <username>@folio.local
};

// Returns the new user's id. Throws std::runtime_error with a readable message when the
// user cannot be created (taken username, short password, ...).
std::string create_admin(commands::CommandHandler& handler, const AdminAccount& account);

}  // namespace folio::cli
