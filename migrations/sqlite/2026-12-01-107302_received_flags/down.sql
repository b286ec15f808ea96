DROP TABLE received_flags;
