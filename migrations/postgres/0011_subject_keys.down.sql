DROP INDEX users_username_unique;
CREATE UNIQUE INDEX users_username_unique ON users (lower(username)) WHERE deleted = 0;
DROP INDEX users_email_unique;
CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE deleted = 0;
DROP INDEX workers_external_id_unique;
CREATE UNIQUE INDEX workers_external_id_unique ON workers (external_id) WHERE deleted = 0;
DROP TABLE subject_keys;
