//! The storage layer's one error type.

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the string names what was taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The database URL is not one Kith can use.
    #[error("unsupported database URL: {0}")]
    BadUrl(String),
    /// No connection could be had from the pool (database down or unreachable).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Applying migrations failed.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    /// A blocking task was cancelled or panicked.
    #[error("storage task failed: {0}")]
    Task(String),
}

impl From<diesel::result::Error> for StorageError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => StorageError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StorageError::Conflict(info.constraint_name().unwrap_or(info.message()).to_owned())
            }
            other => StorageError::Database(other),
        }
    }
}

/// Turns `Err(NotFound)` into `Ok(None)`.
pub trait OptionalExt<T> {
    /// `Ok(Some(t))` for a row, `Ok(None)` when there is none, `Err` otherwise.
    fn optional(self) -> Result<Option<T>, StorageError>;
}

impl<T> OptionalExt<T> for Result<T, StorageError> {
    fn optional(self) -> Result<Option<T>, StorageError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StorageError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
