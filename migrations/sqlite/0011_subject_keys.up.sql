-- Data-subject keys (events/sealed_value.h): one random key per stream whose entity holds
-- personal fields (users, workers), made with its first write. The personal values in that
-- stream's event payloads are sealed with it; deleting the row (erasure) leaves them
-- unreadable while every hashed event stays byte for byte as it was. Never in events, logs
-- or exports. subject_key: 32 bytes as hex.
CREATE TABLE subject_keys (
  stream_id   TEXT PRIMARY KEY,
  subject_key TEXT NOT NULL
);
