DROP TRIGGER IF EXISTS auth_tokens_update_access_epoch;
DROP TRIGGER IF EXISTS auth_tokens_delete_access_epoch;
DROP TABLE IF EXISTS access_epoch;
