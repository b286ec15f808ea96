//! Integration tests: real Kith instances on loopback ports, on SQLite and on PostgreSQL.

mod cli;
mod delivery;
mod discovery;
mod federation;
mod inbound;
mod inbox;
mod mastodon;
mod oauth;
mod rig;
