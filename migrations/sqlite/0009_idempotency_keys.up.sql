-- Idempotency-Key (http/idempotency.h): the first request of a user with a key claims it
-- (status 0: running); its answer is kept (status, headers, body, and the route template
-- for the access log) so that a repeat of the same request gets the same answer, on any
-- server, also after a restart. Kept for the server's --idempotency-hours (default 24).
-- created_at_ms: Unix milliseconds.
CREATE TABLE idempotency_keys (
  user_id          TEXT    NOT NULL,
  idempotency_key  TEXT    NOT NULL,
  fingerprint      TEXT    NOT NULL,
  created_at_ms    BIGINT  NOT NULL,
  status           INTEGER NOT NULL DEFAULT 0,
  response_headers TEXT,
  response_body    TEXT,
  route            TEXT,
  PRIMARY KEY (user_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at_ms ON idempotency_keys (created_at_ms);
