//! The one place where errors become HTTP responses: Mastodon's `{"error": "…"}` body for the
//! client API, RFC 6749's `{"error": code, "error_description": …}` for OAuth endpoints.
//! Internal details go to the log; clients get a safe message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use kith_core::CoreError;
use kith_federation::FederationError;
use kith_storage::StorageError;
use serde_json::json;

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400, with a message for the client.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or bad token.
    #[error("The access token is invalid")]
    Unauthorized,
    /// 401 on an ActivityPub read: a signature is required, or the one given did not verify.
    #[error("{0}")]
    Signature(String),
    /// 403: the token lacks a scope, or the action is not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("Record not found")]
    NotFound,
    /// 408: the request body did not arrive in time.
    #[error("Request body not received in time")]
    RequestTimeout,
    /// 413: the body is over the limit.
    #[error("Request body too large")]
    PayloadTooLarge,
    /// 415: a body type we do not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: valid syntax, refused content.
    #[error("{0}")]
    Unprocessable(String),
    /// An OAuth error in RFC 6749's shape.
    #[error("{code}: {description}")]
    OAuth {
        /// HTTP status.
        status: StatusCode,
        /// `invalid_request`, `invalid_client`, `invalid_grant`, ….
        code: &'static str,
        /// Human-readable detail.
        description: String,
    },
    /// 500: our fault; the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// An OAuth error with its conventional status (401 for `invalid_client`, else 400).
    pub fn oauth(code: &'static str, description: impl Into<String>) -> ApiError {
        let status = if code == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::OAuth {
            status,
            code,
            description: description.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::Signature(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::OAuth { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            ApiError::OAuth {
                code, description, ..
            } => json!({ "error": code, "error_description": description }),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error answering a request");
                json!({ "error": "Internal server error" })
            }
            other => json!({ "error": other.to_string() }),
        };
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthorized) {
            res.insert_header(("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
        res.json(body)
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid(msg) => ApiError::Unprocessable(format!("Validation failed: {msg}")),
            CoreError::Taken(what) => {
                ApiError::Unprocessable(format!("Validation failed: {what} is already taken"))
            }
            CoreError::BadCredentials => ApiError::Unauthorized,
            CoreError::NotFound => ApiError::NotFound,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        CoreError::from(e).into()
    }
}

impl From<FederationError> for ApiError {
    fn from(e: FederationError) -> Self {
        match e {
            FederationError::NotFound => ApiError::NotFound,
            FederationError::Core(c) => c.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
