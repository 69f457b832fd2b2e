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

-- The head of the global log. Every append takes the next positions by updating this one
-- row, which holds its row lock until the transaction ends: positions are handed out and
-- committed in the same order, so a reader following "everything after position P" can
-- never miss an event that commits later with a smaller position.
CREATE TABLE event_log_head (
  id       SMALLINT NOT NULL PRIMARY KEY CHECK (id = 1),
  position BIGINT   NOT NULL DEFAULT 0
);
INSERT INTO event_log_head (id, position) VALUES (1, 0);
