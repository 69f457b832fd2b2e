DROP TABLE IF EXISTS auth_tokens;
