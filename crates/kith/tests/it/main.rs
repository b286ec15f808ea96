//! Integration tests: real Kith instances on loopback ports, on SQLite and on PostgreSQL.

mod audience;
mod blocks;
mod cli;
mod delivery;
mod discovery;
mod federation;
mod inbox;
mod mastodon;
mod moderation;
mod oauth;
mod pages;
mod rig;
mod scopes;
mod slow_clients;
mod ssrf;
