-- The event store: one row per stream with its current version, and the events.
CREATE TABLE streams (
  stream_id   TEXT    NOT NULL PRIMARY KEY,
  entity_type TEXT    NOT NULL,
  version     BIGINT  NOT NULL DEFAULT 0 CHECK (version >= 0)
);

CREATE TABLE events (
  global_position BIGINT  NOT NULL PRIMARY KEY,
  stream_id       TEXT    NOT NULL REFERENCES streams (stream_id),
  stream_version  BIGINT  NOT NULL CHECK (stream_version >= 1),
  event_type      TEXT    NOT NULL,
  schema_version  INTEGER NOT NULL DEFAULT 1,
  payload         BYTEA   NOT NULL,
  recorded_at     TEXT    NOT NULL,
  user_id         TEXT    NOT NULL DEFAULT '',
  request_id      TEXT    NOT NULL DEFAULT '',
  command_id      TEXT,
  CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_command_id ON events (stream_id, command_id) WHERE command_id IS NOT NULL;
CREATE INDEX streams_entity_type ON streams (entity_type);

-- Global positions. Each append takes its positions from this sequence while holding a
-- shared advisory lock (released at commit); a reader of the global log first takes that
-- lock exclusively, so at the moment it reads no append is between taking a position and
-- committing: every position it can miss later is larger than any it has seen. Appends
-- never wait for each other, only (briefly) for a reader. See store/postgres/pg_transaction.cpp.
CREATE SEQUENCE events_global_position_seq AS BIGINT;
