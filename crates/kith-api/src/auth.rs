//! The bearer-token extractors for the client API. The token is checked once, by the scope
//! gate (`scopes::gate`) against the endpoint's declared scope; `Auth` and `MaybeAuth` hand its
//! finding to handlers, which name no scopes themselves.

use crate::error::ApiError;
use crate::scopes::Gated;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use kith_core::tokens::Authenticated;
use kith_storage::accounts::Account;
use std::future::{ready, Ready};

/// A request that carried a valid bearer token with the endpoint's scope.
#[derive(Debug, Clone)]
pub struct Auth(pub Authenticated);

/// A request that may carry a token (public endpoints that show more to the signed-in); a
/// token that is there has passed the endpoint's scope.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Authenticated>);

impl Auth {
    /// The account the token acts for. App-only tokens are refused.
    pub fn account(&self) -> Result<&Account, ApiError> {
        self.0
            .account
            .as_ref()
            .ok_or_else(|| ApiError::Forbidden("This method requires an authenticated user".into()))
    }
}

impl MaybeAuth {
    /// The id of the account the token acts for, if there is one.
    pub fn viewer(&self) -> Option<i64> {
        self.0
            .as_ref()
            .and_then(|a| a.account.as_ref())
            .map(|a| a.id)
    }
}

/// The gate's finding; a route the gate did not see has no token to offer (fail closed).
fn gated(req: &HttpRequest) -> Result<Option<Authenticated>, ApiError> {
    match req.extensions().get::<Gated>() {
        Some(Gated(found)) => Ok(found.clone()),
        None => Err(ApiError::Internal(format!(
            "{} is not behind the scope gate",
            req.path()
        ))),
    }
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(gated(req).and_then(|found| found.map(Auth).ok_or(ApiError::Unauthorized)))
    }
}

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(gated(req).map(MaybeAuth))
    }
}
