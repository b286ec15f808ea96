DROP TABLE login_failures;
DROP INDEX oauth_tokens_code_hash;
ALTER TABLE oauth_tokens DROP COLUMN code_hash;
