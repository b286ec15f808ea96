//! Kith's domain rules, shared by the inbox (`kith-federation`) and the client API (`kith-api`):
//! the instance's URL scheme, local accounts and their credentials, OAuth scopes and tokens.
//!
//! Invariants: no HTTP and no wire formats here. Everything that writes goes through
//! `kith_storage::Db::write`, so each operation is one transaction; slow CPU work (password
//! hashing, RSA key generation) runs on the blocking pool, never on an async thread.

pub mod accounts;
pub mod announcements;
pub mod audit;
pub mod console_sessions;
pub mod custom_emojis;
pub mod domain_policy;
mod error;
pub mod filters;
pub mod form_tokens;
pub mod html;
pub mod instance;
pub mod keys;
pub mod limits;
pub mod lists;
pub mod media;
pub mod media_store;
pub mod moderation;
pub mod notification_groups;
pub mod notifications;
pub mod polls;
pub mod preferences;
pub mod profile;
pub mod registrations;
pub mod reports;
pub mod scopes;
pub mod shared_moderation;
pub mod shields;
pub mod stats;
pub mod statuses;
pub mod tags;
pub mod tokens;
pub mod types;
pub mod urls;

pub use error::{settle, CoreError};
pub use scopes::Scopes;
pub use urls::InstanceUrls;

/// Runs CPU-heavy work (hashing, key generation) on the blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, CoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, CoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CoreError::Internal(format!("blocking task failed: {e}")))?
}
