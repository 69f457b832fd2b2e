#include "cli/admin_bootstrap.h"

#include <stdexcept>

#include "cli/outcome_text.h"
#include "commands/validation.h"

namespace folio::cli {

std::string create_admin(commands::CommandHandler& handler, const AdminAccount& account) {
  const commands::CommandContext context{commands::Actor::system_actor(), commands::new_id(),
                                         ""};
  const std::string email =
      account.email.empty() ? account.username + "@folio.local" : account.email;
  const auto user = handler.create(
      context, {&events::entity("user"), "", std::nullopt,
                {{"username", account.username}, {"email", email}, {"password", account.password}}});
  if (!user.ok()) throw std::runtime_error("cannot create the admin user: " + refusal_text(user));
  const auto role = handler.create(
      context, {&events::entity("user_role"), "", std::nullopt,
                {{"user_id", user.entity.id}, {"role_type", std::string("admin")}}});
  if (!role.ok()) throw std::runtime_error("cannot grant the admin role: " + refusal_text(role));
  return user.entity.id;
}

}  // namespace folio::cli
