DROP TABLE conversation_mutes;
DROP TABLE account_conversations;
DROP INDEX status_tags_name;
DROP TABLE followed_tags;
