DROP TABLE filter_statuses;
DROP TABLE filter_keywords;
DROP TABLE filters;
DROP TABLE list_accounts;
DROP TABLE lists;
