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

-- The counter of the schema of the table that changed, whatever the session's search_path.
CREATE FUNCTION folio_bump_access_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE %I.access_epoch SET epoch = epoch + 1', TG_TABLE_SCHEMA);
  RETURN NULL;
END;
$$;
CREATE TRIGGER auth_tokens_access_epoch AFTER UPDATE OR DELETE OR TRUNCATE ON auth_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_access_epoch();
CREATE TRIGGER users_access_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_access_epoch();
CREATE TRIGGER user_roles_access_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_roles
  FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_access_epoch();
CREATE TRIGGER scope_assignments_access_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON scope_assignments FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_access_epoch();
