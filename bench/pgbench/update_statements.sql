-- The same update as update_one_statement.sql, sent the way Folio sends it today: BEGIN,
-- the read of the row (Folio joins the token check to it), the read-model UPDATE, the
-- stream bump, the event INSERT and COMMIT, each its own round trip.
\set n random(1, :rows)
BEGIN;
SELECT id, version, created_at, updated_at, deleted, name, resource_type, description
  FROM resources WHERE id = '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0');
UPDATE resources SET version = version + 1, updated_at = now()::text, description = 'edit ' || :n
  WHERE id = '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0');
UPDATE streams SET version = version + 1
  WHERE stream_id = 'resource-00000000-0000-4000-8000-' || lpad(:n::text, 12, '0');
WITH appending AS (SELECT pg_advisory_xact_lock_shared(hashtextextended('folio_global_log:' || current_schema(), 0))),
stream AS (SELECT stream_id, version FROM streams
           WHERE stream_id = 'resource-00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))
INSERT INTO events (global_position, stream_id, stream_version, event_type, schema_version,
                    payload, recorded_at, user_id, request_id, command_id, event_hash)
SELECT nextval('events_global_position_seq'), stream.stream_id, stream.version, 'ResourceUpdated', 1,
       decode(repeat('ab', 120), 'hex'), now()::text, 'bench-user', 'bench-request', NULL,
       encode(sha256(coalesce(decode((SELECT e.event_hash FROM events e
                                      WHERE e.stream_id = stream.stream_id
                                        AND e.stream_version = stream.version - 1), 'hex'),
                              decode(repeat('0', 64), 'hex'))
                     || decode(repeat('ab', 120), 'hex')), 'hex')
FROM stream, appending;
COMMIT;
