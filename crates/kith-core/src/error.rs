//! The domain layer's error type. `Invalid` and `Taken` carry messages safe to show to the
//! person who made the request; the others are for logs.

use kith_storage::StorageError;

/// What a domain operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input breaks a rule; the message says which, in words fit for a client.
    #[error("{0}")]
    Invalid(String),
    /// A unique value (username, email) is already in use.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// Username/email and password do not match.
    #[error("invalid credentials")]
    BadCredentials,
    /// The caller may not do this (a moderator acting on an admin, say); the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Storage(StorageError),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StorageError> for CoreError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => CoreError::NotFound,
            other => CoreError::Storage(other),
        }
    }
}

/// A domain operation's outcome as a `Db::write` closure should return it: a database failure
/// as the closure's error (so the transaction rolls back), anything else for the caller.
pub fn settle<T>(outcome: Result<T, CoreError>) -> Result<Result<T, CoreError>, StorageError> {
    match outcome {
        Err(CoreError::Storage(e)) => Err(e),
        other => Ok(other),
    }
}
