-- Data-subject keys (events/sealed_value.h): one random key per stream whose entity holds
-- personal fields (users, workers), made with its first write. The personal values in that
-- stream's event payloads are sealed with it; deleting the row (erasure) leaves them
-- unreadable while every hashed event stays byte for byte as it was. Never in events, logs
-- or exports. subject_key: 32 bytes as hex.
CREATE TABLE subject_keys (
  stream_id   TEXT PRIMARY KEY,
  subject_key TEXT NOT NULL
);

-- Erased personal values all read as the marker '[erased]' (events/sealed_value.h), which
-- no client may send: they are unique to nobody.
DROP INDEX users_username_unique;
CREATE UNIQUE INDEX users_username_unique ON users (lower(username))
  WHERE deleted = 0 AND username <> '[erased]';
DROP INDEX users_email_unique;
CREATE UNIQUE INDEX users_email_unique ON users (lower(email))
  WHERE deleted = 0 AND email <> '[erased]';
DROP INDEX workers_external_id_unique;
CREATE UNIQUE INDEX workers_external_id_unique ON workers (external_id)
  WHERE deleted = 0 AND external_id <> '[erased]';
