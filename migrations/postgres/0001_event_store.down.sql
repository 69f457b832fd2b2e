DROP TABLE IF EXISTS event_log_head;
DROP INDEX IF EXISTS streams_entity_type;
DROP INDEX IF EXISTS events_command_id;
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS streams;
