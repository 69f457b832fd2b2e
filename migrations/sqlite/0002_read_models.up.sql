-- Generated from events/entity_catalog.cpp by `folio schema read-models`; a test
-- checks that this file and the catalog agree. Identical for SQLite and PostgreSQL.

CREATE TABLE portfolios (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  owner TEXT NOT NULL,
  reporting_start_date TEXT NOT NULL,
  reporting_end_date TEXT NOT NULL
);
CREATE UNIQUE INDEX portfolios_name_unique ON portfolios (name) WHERE deleted = 0;

CREATE TABLE programs (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  portfolio_id TEXT NOT NULL,
  name TEXT NOT NULL,
  business_sponsor TEXT NOT NULL,
  program_manager TEXT NOT NULL,
  technical_lead TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  description TEXT
);
CREATE INDEX programs_portfolio_id ON programs (portfolio_id);
CREATE UNIQUE INDEX programs_name_unique ON programs (name) WHERE deleted = 0;

CREATE TABLE projects (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  program_id TEXT NOT NULL,
  name TEXT NOT NULL,
  business_sponsor TEXT NOT NULL,
  project_manager TEXT NOT NULL,
  technical_lead TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  cost_center_code TEXT NOT NULL,
  description TEXT
);
CREATE INDEX projects_program_id ON projects (program_id);
CREATE UNIQUE INDEX projects_cost_center_code_unique ON projects (cost_center_code) WHERE deleted = 0;

CREATE TABLE project_phases (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  capital_budget TEXT NOT NULL DEFAULT '0.00',
  expense_budget TEXT NOT NULL DEFAULT '0.00',
  description TEXT,
  total_budget TEXT NOT NULL
);
CREATE INDEX project_phases_project_id ON project_phases (project_id);

CREATE TABLE resources (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  name TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  description TEXT
);

CREATE TABLE worker_types (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  type TEXT NOT NULL,
  description TEXT NOT NULL
);
CREATE UNIQUE INDEX worker_types_type_unique ON worker_types (type) WHERE deleted = 0;

CREATE TABLE workers (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  worker_type_id TEXT NOT NULL,
  external_id TEXT NOT NULL,
  name TEXT NOT NULL
);
CREATE INDEX workers_worker_type_id ON workers (worker_type_id);
CREATE UNIQUE INDEX workers_external_id_unique ON workers (external_id) WHERE deleted = 0;

CREATE TABLE resource_assignments (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  resource_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  assignment_date TEXT NOT NULL,
  capital_percentage BIGINT NOT NULL,
  expense_percentage BIGINT NOT NULL
);
CREATE INDEX resource_assignments_resource_id ON resource_assignments (resource_id);
CREATE INDEX resource_assignments_project_id ON resource_assignments (project_id);
CREATE UNIQUE INDEX resource_assignments_resource_id_project_id_assignment_date_unique ON resource_assignments (resource_id, project_id, assignment_date) WHERE deleted = 0;

CREATE TABLE rates (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  worker_type_id TEXT NOT NULL,
  rate_amount TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT
);
CREATE INDEX rates_worker_type_id ON rates (worker_type_id);

CREATE TABLE actuals (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  project_id TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  resource_assignment_id TEXT,
  actual_date TEXT NOT NULL,
  allocation_percentage BIGINT NOT NULL,
  actual_cost TEXT,
  capital_amount TEXT,
  expense_amount TEXT
);
CREATE INDEX actuals_project_id ON actuals (project_id);
CREATE INDEX actuals_worker_id ON actuals (worker_id);
CREATE INDEX actuals_resource_assignment_id ON actuals (resource_assignment_id);

CREATE TABLE users (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  username TEXT NOT NULL,
  email TEXT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_username_unique ON users (lower(username)) WHERE deleted = 0;
CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE deleted = 0;

CREATE TABLE user_roles (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  user_id TEXT NOT NULL,
  role_type TEXT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX user_roles_user_id ON user_roles (user_id);
CREATE UNIQUE INDEX user_roles_user_id_role_type_unique ON user_roles (user_id, role_type) WHERE deleted = 0;

CREATE TABLE scope_assignments (
  id         TEXT    NOT NULL PRIMARY KEY,
  version    BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at TEXT    NOT NULL,
  updated_at TEXT    NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  user_role_id TEXT NOT NULL,
  scope_type TEXT NOT NULL,
  program_id TEXT,
  project_id TEXT,
  is_active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX scope_assignments_user_role_id ON scope_assignments (user_role_id);
CREATE INDEX scope_assignments_program_id ON scope_assignments (program_id);
CREATE INDEX scope_assignments_project_id ON scope_assignments (project_id);

-- Password hashes (Argon2id) live outside the event stream.
CREATE TABLE user_credentials (
  user_id       TEXT NOT NULL PRIMARY KEY,
  password_hash TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
