-- Reads leave out posts by accounts that block the viewer: blocks are looked up by target.
CREATE INDEX blocks_target ON blocks (target_account_id);
