//! `GET /api/v2/search`: accounts by handle and posts or actors by URL; with `resolve=true`
//! (and a signed-in user) unknown ones are fetched from their servers. A handle whose domain
//! is not a bare `host[:port]` gets 422.

use crate::auth::MaybeAuth;
use crate::body::lenient_bool;
use crate::entities::status::{accounts_view, statuses_view};
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_federation::resolve::{self, Resolved};
use kith_federation::Data;
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/search", web::get().to(search));
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    resolve: Option<bool>,
}

async fn search(
    auth: MaybeAuth,
    query: web::Query<SearchQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let viewer = auth.viewer();
    let q = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ApiError::BadRequest("q is required".into()))?;
    // Fetching from other servers is for signed-in people only, as on Mastodon.
    let resolve_remote = query.resolve.unwrap_or(false) && viewer.is_some();
    let want = |k: &str| query.kind.as_deref().is_none_or(|t| t == k);
    let mut accounts = Vec::new();
    let mut found_statuses = Vec::new();
    if q.starts_with("https://") || q.starts_with("http://") {
        if let Ok(url) = url::Url::parse(q) {
            let local = data.urls.is_local(&url);
            let found = if resolve_remote || local {
                resolve::by_url(url, &data).await.ok()
            } else {
                None
            };
            match found {
                Some(Resolved::Account(a)) if want("accounts") => accounts.push(a),
                Some(Resolved::Status(s)) if want("statuses") => found_statuses.push(s),
                _ => {}
            }
        }
    } else if want("accounts")
        && q.trim_start_matches('@')
            .contains(|c: char| c.is_alphanumeric())
    {
        // A handle whose domain carries more than host[:port] is refused, not looked up.
        resolve::split_handle(q).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
        // Nothing found is an empty result, as from Mastodon; `resolve` logs why.
        if let Ok(Some(a)) = resolve::account_by_handle(q, resolve_remote, &data).await {
            accounts.push(a);
        }
    }
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| {
            let accounts = accounts_view(c, &accounts, &urls)?;
            let statuses_out = statuses_view(c, &found_statuses, viewer, &urls)?;
            Ok(serde_json::json!({ "accounts": accounts, "statuses": statuses_out, "hashtags": [] }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
