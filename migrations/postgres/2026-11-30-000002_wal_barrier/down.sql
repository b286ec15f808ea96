DROP TABLE wal_barrier;
