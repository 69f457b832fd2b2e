-- Bearer tokens, stored only as SHA-256 hashes with their expiry.
CREATE TABLE auth_tokens (
  token_hash TEXT NOT NULL PRIMARY KEY,
  user_id    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX auth_tokens_user_id ON auth_tokens (user_id);
