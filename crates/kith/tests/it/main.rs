//! Integration tests: real Kith instances on loopback ports, on SQLite and on PostgreSQL.

// Test code: unwraps are assertions here, and helpers' `pub` marks what sibling modules use.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod audience;
mod blocks;
mod cli;
mod client_api;
mod conversations;
mod delivery;
mod discovery;
mod domain_policies;
mod federation;
mod flags;
mod followed_tags;
mod grouped_notifications;
mod inbound;
mod inbox;
mod mastodon;
mod media;
mod moderation;
mod oauth;
mod pages;
mod rig;
mod scopes;
mod slow_clients;
mod ssrf;
mod streaming;
