DROP TABLE custom_emojis;
