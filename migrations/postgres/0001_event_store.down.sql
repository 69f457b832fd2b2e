DROP INDEX IF EXISTS streams_entity_type;
DROP INDEX IF EXISTS events_command_id;
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS streams;
DROP SEQUENCE IF EXISTS events_global_position_seq;
