-- Nothing on SQLite: PostgreSQL's migration 0007 adds the guard of a command's one-statement
-- write; SQLite writes the read-model row and the event in one transaction instead.
SELECT 1;
