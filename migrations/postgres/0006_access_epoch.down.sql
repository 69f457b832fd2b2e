DROP TRIGGER IF EXISTS scope_assignments_access_epoch ON scope_assignments;
DROP TRIGGER IF EXISTS user_roles_access_epoch ON user_roles;
DROP TRIGGER IF EXISTS users_access_epoch ON users;
DROP TRIGGER IF EXISTS auth_tokens_access_epoch ON auth_tokens;
DROP FUNCTION IF EXISTS folio_bump_access_epoch();
DROP TABLE IF EXISTS access_epoch;
