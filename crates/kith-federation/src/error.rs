//! The federation layer's error type.

use kith_core::CoreError;
use kith_storage::StorageError;

/// What can go wrong handling ActivityPub objects.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// A remote document broke a rule (wrong types, foreign ids, bad key); the message says which.
    #[error("invalid remote object: {0}")]
    Invalid(String),
    /// The thing asked for does not exist here.
    #[error("not found")]
    NotFound,
    /// A local person may not do this (follow themselves, boost a private post, …); the
    /// message says why, in words fit for them.
    #[error("{0}")]
    Refused(String),
    /// An error from `activitypub_federation` (fetching, signatures).
    #[error(transparent)]
    Library(#[from] activitypub_federation::error::Error),
    /// Domain layer error.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// JSON error.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl From<StorageError> for FederationError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => FederationError::NotFound,
            other => FederationError::Core(CoreError::Storage(other)),
        }
    }
}

impl From<url::ParseError> for FederationError {
    fn from(e: url::ParseError) -> Self {
        FederationError::Invalid(format!("bad URL: {e}"))
    }
}
