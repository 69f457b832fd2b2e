DROP TABLE IF EXISTS resource_utilisation;
DROP TABLE IF EXISTS utilisation_assignments;
DROP TABLE IF EXISTS projection_jobs;
-- Shadow tables of an interrupted `folio rebuild` (projections/rebuild.cpp).
DROP TABLE IF EXISTS rebuild_portfolios;
DROP TABLE IF EXISTS rebuild_programs;
DROP TABLE IF EXISTS rebuild_projects;
DROP TABLE IF EXISTS rebuild_project_phases;
DROP TABLE IF EXISTS rebuild_resources;
DROP TABLE IF EXISTS rebuild_worker_types;
DROP TABLE IF EXISTS rebuild_workers;
DROP TABLE IF EXISTS rebuild_resource_assignments;
DROP TABLE IF EXISTS rebuild_rates;
DROP TABLE IF EXISTS rebuild_actuals;
DROP TABLE IF EXISTS rebuild_users;
DROP TABLE IF EXISTS rebuild_user_roles;
DROP TABLE IF EXISTS rebuild_scope_assignments;
