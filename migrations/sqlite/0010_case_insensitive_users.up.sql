-- Usernames and emails are unique regardless of letter case (stored as given, compared as
-- lower(value)): the catalog marks them case_insensitive and 0002 creates these indexes for
-- a new database. This replaces the exact-match indexes of a database created before.
-- When two live users already differ only in letter case the index cannot be built and the
-- migration fails, changing nothing: rename (PATCH) or delete one of them, then migrate.
DROP INDEX IF EXISTS users_username_unique;
CREATE UNIQUE INDEX users_username_unique ON users (lower(username)) WHERE deleted = 0;
DROP INDEX IF EXISTS users_email_unique;
CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE deleted = 0;
