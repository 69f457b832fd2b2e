-- PostgreSQL's ceiling for GET by id: one read-model row by primary key.
\set n random(1, :rows)
SELECT id, version, created_at, updated_at, deleted, name, resource_type, description
  FROM resources WHERE id = '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0');
