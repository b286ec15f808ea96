//! Kith's HTTP surface on actix-web: the Mastodon client API, OAuth 2, the ActivityPub and
//! discovery routes, HTML pages for people, and the moderators' web console (`/admin`).
//!
//! Handlers read parse → act → convert: they parse the request (`body`, `auth`), call
//! `kith-core` or `kith-federation` to act, and convert rows into response `entities`. Only
//! `error` maps errors to HTTP. No SQL here: queries live in `kith-storage`.

mod activitypub;
pub mod auth;
pub mod body;
mod console;
pub mod entities;
pub mod error;
mod form_guard;
mod languages;
mod mastodon;
mod media_files;
mod nul;
mod oauth;
mod pages;
pub mod paging;
pub mod rate_limit;
mod routes;
pub mod scopes;
pub mod streaming;
pub mod throttle;

use actix_web::web;
use actix_web::{HttpMessage, HttpRequest};
use error::ApiError;
use kith_federation::{Data, FederationConfig};

pub use error::{ApiError as Error, ApiResult};
pub use nul::refuse_nul_in_url;
pub use pages::error_pages;

/// The job that publishes scheduled statuses (`kith serve` runs it).
pub mod scheduled_job {
    pub use crate::mastodon::scheduled::{publish_due, run, SCHEDULED_JOB_EVERY};
}

/// Mounts every route. The app must be wrapped in
/// `activitypub_federation::config::FederationMiddleware` carrying Kith's federation config.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let json_limits = web::JsonConfig::default().limit(body::MAX_BODY_BYTES);
    let form_limits = web::FormConfig::default().limit(body::MAX_BODY_BYTES);
    let payload_limits = web::PayloadConfig::new(body::MAX_BODY_BYTES);
    // A query string that does not fit a handler's parameters is answered in Mastodon's
    // JSON shape, not actix's plain text: a missing required parameter 400 (as Rails'
    // `ParameterMissing`), an invalid value (`limit=abc`, `max_id=abc`) 422.
    let query_errors = web::QueryConfig::default().error_handler(|err, _req| {
        let detail = err.to_string();
        if detail.contains("missing field") {
            ApiError::BadRequest(detail).into()
        } else {
            ApiError::Unprocessable(format!("Validation failed: {detail}")).into()
        }
    });
    cfg.app_data(json_limits)
        .app_data(query_errors)
        .app_data(form_limits)
        .app_data(payload_limits)
        .configure(routes::configure)
        .configure(activitypub::configure)
        .configure(oauth::configure)
        .configure(mastodon::configure)
        .configure(pages::configure)
        .configure(console::configure)
        .configure(media_files::configure)
        .default_service(web::to(unknown_route));
}

/// Anything no route matches: 404 in Mastodon's JSON shape (a page for browsers, see
/// `error_pages`).
async fn unknown_route() -> ApiResult<actix_web::HttpResponse> {
    Err(ApiError::NotFound)
}

/// The request's federation data, for extractors that cannot take it as an argument.
pub(crate) fn context(req: &HttpRequest) -> Result<Data, ApiError> {
    req.extensions()
        .get::<FederationConfig>()
        .map(|c| c.to_request_data())
        .ok_or_else(|| ApiError::Internal("federation middleware missing".into()))
}
