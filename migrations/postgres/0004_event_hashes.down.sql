DROP TABLE IF EXISTS log_seals;
ALTER TABLE events DROP COLUMN event_hash;
