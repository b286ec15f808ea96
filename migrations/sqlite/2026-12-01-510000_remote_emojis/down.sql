DROP TABLE account_emojis;
DROP TABLE status_emojis;
DROP TABLE remote_emojis;
