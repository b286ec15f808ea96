DROP TABLE cohort_reports;
DROP TABLE cohort_published;
DROP TABLE cohort_members;
DROP TABLE shared_decisions;
DROP TABLE blocklist_subscriptions;
ALTER TABLE domain_policies DROP COLUMN managed;
