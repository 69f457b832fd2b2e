-- The same update as update_one_statement.sql, sent the way Folio sends it when it does
-- not remember the row: the read of the access epoch and the row, then the write as one
-- statement, each committing by itself (no BEGIN/COMMIT: Access::lazy_write).
\set n random(1, :rows)
SELECT a.epoch, e.id, e.version, e.created_at, e.updated_at, e.deleted, e.name, e.resource_type, e.description
  FROM access_epoch a LEFT JOIN resources e ON e.id = '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0');
WITH target AS (SELECT '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0') AS id),
row_update AS (
  UPDATE resources r SET version = r.version + 1, updated_at = now()::text,
         description = 'edit ' || :n
  FROM target WHERE r.id = target.id  -- Folio also guards the version it loaded
  RETURNING r.id, r.version),
bump AS (
  UPDATE streams s SET version = row_update.version FROM row_update
  WHERE s.stream_id = 'resource-' || row_update.id AND s.version = row_update.version - 1
  RETURNING s.stream_id, s.version),
appending AS (SELECT pg_advisory_xact_lock_shared(hashtextextended('folio_global_log:' || current_schema(), 0)))
INSERT INTO events (global_position, stream_id, stream_version, event_type, schema_version,
                    payload, recorded_at, user_id, request_id, command_id, event_hash)
SELECT nextval('events_global_position_seq'), bump.stream_id, bump.version, 'ResourceUpdated', 1,
       decode(repeat('ab', 120), 'hex'), now()::text, 'bench-user', 'bench-request', NULL,
       encode(sha256(coalesce(decode((SELECT e.event_hash FROM events e
                                      WHERE e.stream_id = bump.stream_id
                                        AND e.stream_version = bump.version - 1), 'hex'),
                              decode(repeat('0', 64), 'hex'))
                     || decode(repeat('ab', 120), 'hex')), 'hex')
FROM bump, appending;
