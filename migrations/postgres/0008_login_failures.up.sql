-- Failed logins, counted per user name ("user:<name in lower case>") and per client address
-- ("address:<ip>") over a window (http/login_throttle.h). In the database, so that every
-- server behind a load balancer sees the same counts. window_ends: Unix seconds.
CREATE TABLE login_failures (
  throttle_key TEXT   NOT NULL PRIMARY KEY,
  failures     BIGINT NOT NULL,
  window_ends  BIGINT NOT NULL
);
CREATE INDEX login_failures_window_ends ON login_failures (window_ends);
