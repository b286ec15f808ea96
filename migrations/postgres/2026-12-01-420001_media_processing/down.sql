DROP TABLE media_processing;
