//! The one place where errors become HTTP responses: Mastodon's `{"error": "…"}` body for the
//! client API, RFC 6749's `{"error": code, "error_description": …}` for OAuth endpoints.
//! Each lower crate's error maps here once, through `From`, so handlers just use `?`:
//! `CoreError::Invalid` is 422, `FederationError::Refused` (a local person may not do that)
//! 403, not found 404, anything else 500. Internal details go to the log; clients get a safe
//! message.

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
    /// 410: the thing was here and is gone (a suspended or deleted local actor).
    #[error("Gone")]
    Gone,
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
    /// 429: a rate limit is exceeded (`rate_limit` adds the headers saying until when).
    #[error("Too many requests")]
    TooManyRequests,
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
            ApiError::Gone => StatusCode::GONE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
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
            CoreError::Forbidden(msg) => ApiError::Forbidden(msg),
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
            FederationError::Refused(msg) => ApiError::Forbidden(msg),
            FederationError::Core(c) => c.into(),
            // What a remote server sent was refused: the detail is about someone else's
            // document, for the log; the client learns only that it was refused.
            FederationError::Invalid(detail) => {
                tracing::info!(%detail, "a remote object was refused while answering a request");
                ApiError::Unprocessable("Validation failed: a remote object was refused".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<kith_core::media::MediaError> for ApiError {
    fn from(e: kith_core::media::MediaError) -> Self {
        ApiError::Unprocessable(format!("Validation failed: {e}"))
    }
}

impl From<kith_core::media_store::StoreError> for ApiError {
    fn from(e: kith_core::media_store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The status and the message a client would get.
    fn answer(e: impl Into<ApiError>) -> (u16, String) {
        let e = e.into();
        let status = e.status_code().as_u16();
        assert_eq!(e.error_response().status().as_u16(), status);
        (status, e.to_string())
    }

    #[test]
    fn each_lower_error_maps_to_one_status() {
        assert_eq!(answer(CoreError::Invalid("too long".into())).0, 422);
        assert_eq!(
            answer(FederationError::Core(CoreError::Invalid("x".into()))).0,
            422
        );
        assert_eq!(answer(CoreError::NotFound).0, 404);
        assert_eq!(answer(StorageError::NotFound).0, 404);
        assert_eq!(answer(FederationError::NotFound).0, 404);
        let (status, msg) = answer(FederationError::Refused("you cannot block yourself".into()));
        assert_eq!((status, msg.as_str()), (403, "you cannot block yourself"));
        // Details of remote documents and of our own failures stay in the log.
        let (status, msg) = answer(FederationError::Invalid("secret detail".into()));
        assert_eq!(status, 422);
        assert!(!msg.contains("secret"));
        let e = ApiError::from(StorageError::Unavailable("db at 10.0.0.5 down".into()));
        assert_eq!(e.status_code().as_u16(), 500);
        let body = actix_web::body::to_bytes(e.error_response().into_body());
        let body = futures::executor::block_on(body).unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("10.0.0.5"));
    }
}
