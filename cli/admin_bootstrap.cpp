#include "cli/admin_bootstrap.h"

#include <stdexcept>

#include "commands/validation.h"

namespace folio::cli {

namespace {
std::string describe(const commands::Outcome& outcome) {
  std::string text(commands::error_code(outcome.kind));
  for (const auto& e : outcome.errors) text += "; " + e.field + " " + e.message;
  if (!outcome.constraint.message.empty()) text += ": " + outcome.constraint.message;
  return text;
}
}  // namespace

std::string create_admin(commands::CommandHandler& handler, const AdminAccount& account) {
  const commands::CommandContext context{commands::Actor::system_actor(), commands::new_id(),
                                         ""};
  const std::string email =
      account.email.empty() ? account.username + "@folio.local" : account.email;
  const auto user = handler.create(
      context, {&events::entity("user"), "", std::nullopt,
                {{"username", account.username}, {"email", email}, {"password", account.password}}});
  if (!user.ok()) throw std::runtime_error("cannot create the admin user: " + describe(user));
  const auto role = handler.create(
      context, {&events::entity("user_role"), "", std::nullopt,
                {{"user_id", user.entity.id}, {"role_type", std::string("admin")}}});
  if (!role.ok()) throw std::runtime_error("cannot grant the admin role: " + describe(role));
  return user.entity.id;
}

}  // namespace folio::cli
