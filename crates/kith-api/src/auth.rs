//! Bearer-token authentication for the client API. `Auth` extracts the token's account and
//! scopes; handlers then say which scope they need.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use kith_core::tokens::{self, Authenticated};
use kith_storage::accounts::Account;
use std::future::Future;
use std::pin::Pin;

/// A request that carried a valid bearer token.
#[derive(Debug, Clone)]
pub struct Auth(pub Authenticated);

/// A request that may carry a token (public endpoints that show more to the signed-in).
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Authenticated>);

impl Auth {
    /// The account the token acts for, requiring `scope`. App-only tokens are refused.
    pub fn account(&self, scope: &str) -> Result<&Account, ApiError> {
        self.require(scope)?;
        self.0
            .account
            .as_ref()
            .ok_or_else(|| ApiError::Forbidden("This method requires an authenticated user".into()))
    }

    /// Fails with 403 unless the token's scopes allow `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.0.scopes.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "This action is outside the authorized scopes".into(),
            ))
        }
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

async fn lookup(req: HttpRequest) -> Result<Option<Authenticated>, ApiError> {
    let Some(token) = bearer(&req) else {
        return Ok(None);
    };
    let data = crate::context(&req)?;
    match tokens::authenticate(&data.db, &token).await? {
        Some(auth) => Ok(Some(auth)),
        None => Err(ApiError::Unauthorized),
    }
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { lookup(req).await?.map(Auth).ok_or(ApiError::Unauthorized) })
    }
}

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { lookup(req).await.map(MaybeAuth) })
    }
}
