-- A counter of changes to who may do what. Triggers move it in the transaction of every
-- write to users, user_roles, scope_assignments (the read models of access) and
-- auth_tokens (revoking or cutting short a token, by Folio, a tool or by hand); a rebuild
-- re-creates them on the tables it swaps in (projections/rebuild.cpp). A server that
-- remembers the actor behind a token (commands/actor_cache.h) reads the counter in the
-- statement that serves the request and trusts what it remembers only while the counter is
-- unchanged, so a deactivation, a role change or a revoked token takes effect on every
-- server with the transaction that made it, whichever program made it.
CREATE TABLE access_epoch (
  id    INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  epoch BIGINT  NOT NULL
);
INSERT INTO access_epoch (id, epoch) VALUES (1, 1);

-- SQLite has row triggers only, one per kind of change.
CREATE TRIGGER auth_tokens_update_access_epoch AFTER UPDATE ON auth_tokens
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER auth_tokens_delete_access_epoch AFTER DELETE ON auth_tokens
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER users_insert_access_epoch AFTER INSERT ON users
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER users_update_access_epoch AFTER UPDATE ON users
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER users_delete_access_epoch AFTER DELETE ON users
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER user_roles_insert_access_epoch AFTER INSERT ON user_roles
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER user_roles_update_access_epoch AFTER UPDATE ON user_roles
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER user_roles_delete_access_epoch AFTER DELETE ON user_roles
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER scope_assignments_insert_access_epoch AFTER INSERT ON scope_assignments
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER scope_assignments_update_access_epoch AFTER UPDATE ON scope_assignments
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER scope_assignments_delete_access_epoch AFTER DELETE ON scope_assignments
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
END;
