-- PostgreSQL's ceiling for one Folio update, written as ONE statement: the read-model row,
-- the stream bump and the event (a position from the
-- sequence under the shared log lock, the SHA-256 chain over the previous event's hash and
-- the ~120-byte payload), as store/postgres/pg_transaction.cpp and projections/read_model.cpp
-- do them. Resource :n has the id seed.py gives it with FOLIO_SEED_NUMBERED_IDS=1.
-- The stream bump adds one rather than guarding the version as Folio does: with no version
-- from a client to guard the row by, a statement that waited for another's lock on the row
-- would find the stream's version moved under its snapshot and write no event (until
-- 2026-12-07 most hot-set transactions wrote only the row that way). The work is the same.
\set n random(1, :rows)
WITH target AS (SELECT '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0') AS id),
row_update AS (
  UPDATE resources r SET version = r.version + 1, updated_at = now()::text,
         description = 'edit ' || :n
  FROM target WHERE r.id = target.id  -- Folio also guards the version it loaded
  RETURNING r.id, r.version),
bump AS (
  UPDATE streams s SET version = s.version + 1 FROM row_update
  WHERE s.stream_id = 'resource-' || row_update.id
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
