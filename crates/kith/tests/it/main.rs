//! Integration tests: real Kith instances on loopback ports, on SQLite and on PostgreSQL.

// Test code: unwraps are assertions here, and helpers' `pub` marks what sibling modules use.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod announcements;
mod audience;
mod blocks;
mod cli;
mod client_api;
mod console;
mod conversations;
mod custom_emojis;
mod delivery;
mod discovery;
mod domain_policies;
mod federation;
mod filters;
mod flags;
mod followed_tags;
mod grouped_notifications;
mod inbound;
mod inbox;
mod ip_hosts;
mod lists;
mod mastodon;
mod media;
mod media_ranges;
mod mixed_backends;
mod moderation;
mod oauth;
mod pages;
mod params;
mod polls;
mod posting;
mod profiles;
mod rate_limits;
mod remote_emojis;
mod remote_moderation;
mod rig;
mod scopes;
mod sharing;
mod shields;
mod sign_up;
mod slow_clients;
mod ssrf;
mod streaming;
mod web_pages;
