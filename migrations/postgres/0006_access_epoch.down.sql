DROP TRIGGER IF EXISTS auth_tokens_access_epoch ON auth_tokens;
DROP FUNCTION IF EXISTS folio_bump_access_epoch();
DROP TABLE IF EXISTS access_epoch;
