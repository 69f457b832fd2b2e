-- A counter of changes to who may do what: every write to the users, user_roles and
-- scope_assignments read models (projections::save_entity) and every rebuild of read models
-- adds one, in the same transaction. A server that remembers the actor behind a token
-- (commands/actor_cache.h) reads the counter in the statement that serves the request and
-- trusts what it remembers only while the counter is unchanged, so a deactivation, a role
-- change or a revoked scope takes effect on every server with the transaction that made it.
CREATE TABLE access_epoch (
  id    INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  epoch BIGINT  NOT NULL
);
INSERT INTO access_epoch (id, epoch) VALUES (1, 1);

-- Tokens are revoked or cut short by deleting or updating their rows (by hand or by a tool):
-- that moves the epoch too.
CREATE FUNCTION folio_bump_access_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE access_epoch SET epoch = epoch + 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER auth_tokens_access_epoch AFTER UPDATE OR DELETE OR TRUNCATE ON auth_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION folio_bump_access_epoch();
