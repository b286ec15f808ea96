//! Integration tests: real Kith instances on loopback ports, on SQLite and on PostgreSQL.

mod cli;
mod client_api;
mod delivery;
mod discovery;
mod federation;
mod inbox;
mod mastodon;
mod oauth;
mod rig;
mod scopes;
