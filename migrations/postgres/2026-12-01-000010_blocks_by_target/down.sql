DROP INDEX blocks_target;
