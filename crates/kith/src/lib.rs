//! The Kith server as a library: configuration, wiring and admin commands, so that the
//! integration tests start real instances exactly as `kith serve` does.

pub mod admin;
pub mod announcements_cli;
pub mod config;
pub mod domain_blocks_cli;
pub mod emoji_cli;
pub mod serve;
pub mod sharing_cli;
mod watchdog;
