-- Checkpoints of the catch-up runner (projections/catch_up.h): for each job, the global
-- position up to which its view has applied the event log. A job advances its checkpoint in
-- the same transaction as the view's writes, so a batch is applied exactly once. `config`
-- records what the job was started with (a rebuild: its entity types).
CREATE TABLE projection_jobs (
  name       TEXT   NOT NULL PRIMARY KEY,
  position   BIGINT NOT NULL DEFAULT 0 CHECK (position >= 0),
  config     TEXT   NOT NULL DEFAULT '',
  updated_at TEXT   NOT NULL
);

-- The asynchronous resource utilisation view (projections/utilisation.h), job
-- "resource_utilisation": the percentages of every resource assignment as of the view's
-- checkpoint, and their sum per resource and day over all projects.
CREATE TABLE utilisation_assignments (
  id                 TEXT    NOT NULL PRIMARY KEY,
  version            BIGINT  NOT NULL,
  resource_id        TEXT    NOT NULL,
  assignment_date    TEXT    NOT NULL,
  capital_percentage BIGINT  NOT NULL,
  expense_percentage BIGINT  NOT NULL,
  deleted            INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
);

CREATE TABLE resource_utilisation (
  resource_id          TEXT   NOT NULL,
  day                  TEXT   NOT NULL,
  allocated_percentage BIGINT NOT NULL,
  PRIMARY KEY (resource_id, day)
);
