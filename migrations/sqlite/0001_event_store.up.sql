-- The event store: one row per stream with its current version, and the events.
CREATE TABLE streams (
  stream_id   TEXT    NOT NULL PRIMARY KEY,
  entity_type TEXT    NOT NULL,
  version     BIGINT  NOT NULL DEFAULT 0 CHECK (version >= 0)
);

CREATE TABLE events (
  -- Rowid alias: one writer at a time, so positions commit in increasing order.
  global_position INTEGER NOT NULL PRIMARY KEY,
  stream_id       TEXT    NOT NULL REFERENCES streams (stream_id),
  stream_version  BIGINT  NOT NULL CHECK (stream_version >= 1),
  event_type      TEXT    NOT NULL,
  schema_version  INTEGER NOT NULL DEFAULT 1,
  payload         BLOB    NOT NULL,
  recorded_at     TEXT    NOT NULL,
  user_id         TEXT    NOT NULL DEFAULT '',
  request_id      TEXT    NOT NULL DEFAULT '',
  command_id      TEXT,
  CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_command_id ON events (stream_id, command_id) WHERE command_id IS NOT NULL;
CREATE INDEX streams_entity_type ON streams (entity_type);
