-- Tamper evidence (store/event_hash.h). Each event's hash chains it to the previous event
-- of its stream; it is written by the append in the same statement as the event. Events
-- written before this migration keep a NULL hash: `folio verify` counts them as "not
-- covered" (nothing can prove what they said before hashing began).
ALTER TABLE events ADD COLUMN event_hash TEXT;

-- Seals over the global log, written in position order by the sealer (`folio serve`, or
-- `folio verify --seal`): running_hash is the SHA-256 chain of every event hash up to and
-- including `position`, so deleting, inserting or reordering sealed events is detected.
CREATE TABLE log_seals (
  position     BIGINT NOT NULL PRIMARY KEY,
  running_hash TEXT   NOT NULL,
  sealed_at    TEXT   NOT NULL
);
