//! `POST /api/v1/accounts`: signing up, as Mastodon's registration endpoint (an app token with
//! `write:accounts`; `username`, `password`, `agreement`, `locale`, `reason`, `invite_code`;
//! `email` optional, as a small instance may not ask for one). The registration mode decides
//! (`kith_core::registrations`). The answer is a token for the new account; in approval mode
//! it works only once a moderator approves the account.

use crate::auth::Auth;
use crate::body::{lenient_bool, Body};
use crate::error::ApiResult;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use kith_core::registrations::{self, SignUp};
use kith_core::tokens;
use kith_federation::Data;
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/accounts", web::post().to(create));
}

#[derive(Debug, Deserialize)]
struct SignUpForm {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    agreement: Option<bool>,
    locale: Option<String>,
    reason: Option<String>,
    invite_code: Option<String>,
}

async fn create(auth: Auth, form: Body<SignUpForm>, data: Data) -> ApiResult<HttpResponse> {
    let form = form.0;
    // `locale` is accepted and not kept: Kith has no per-user interface language yet.
    let _ = form.locale;
    let sign_up = SignUp {
        username: form.username.unwrap_or_default(),
        password: form.password.unwrap_or_default(),
        email: form.email,
        reason: form.reason,
        invite_code: form.invite_code,
        agreement: form.agreement == Some(true),
    };
    let (account, _approved) = registrations::sign_up(&data.db, &data.urls, sign_up).await?;
    let scopes = auth.0.scopes.clone();
    let (secret, row) =
        tokens::issue(&data.db, auth.0.token.app_id, Some(account.id), &scopes).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "access_token": secret,
            "token_type": "Bearer",
            "scope": row.scopes,
            "created_at": row.created_at.and_utc().timestamp(),
        })))
}
