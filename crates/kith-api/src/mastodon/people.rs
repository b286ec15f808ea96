//! Finding, listing and quieting people: `accounts/search`, `blocks`, `familiar_followers`,
//! mutes (`accounts/:id/mute`, `unmute`, `mutes`) and a person's own `domain_blocks`.

use super::follows::{account_by_id, account_list};
use crate::auth::Auth;
use crate::body::{lenient_bool, Body};
use crate::entities::status::{accounts_view, relationship};
use crate::error::{ApiError, ApiResult};
use crate::paging::{limit_param, link_header, offset_param, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_federation::resolve::{self, split_handle};
use kith_federation::Data;
use kith_storage::accounts::{self, AccountSearch};
use kith_storage::{follows, mutes, OptionalExt};
use serde::Deserialize;
use serde_json::{json, Value};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/accounts/search", web::get().to(search))
        .route(
            "/v1/accounts/familiar_followers",
            web::get().to(familiar_followers),
        )
        .route("/v1/accounts/{id}/mute", web::post().to(mute))
        .route("/v1/accounts/{id}/unmute", web::post().to(unmute))
        .route("/v1/mutes", web::get().to(mutes_list))
        .route("/v1/domain_blocks", web::get().to(domain_blocks))
        .route("/v1/domain_blocks", web::post().to(block_domain))
        .route("/v1/domain_blocks", web::delete().to(unblock_domain))
        .route("/v1/blocks", web::get().to(blocks));
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    /// Checked as on every list (422 when not a whole number); at most 80, as on Mastodon.
    #[serde(default, deserialize_with = "limit_param")]
    limit: Option<String>,
    #[serde(default, deserialize_with = "offset_param")]
    offset: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    resolve: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    following: Option<bool>,
}

/// Local and known remote accounts by the start of their username (or `user@domain`) or a
/// part of their display name; with `resolve`, a full handle not known yet is looked up
/// through WebFinger first, as `/api/v2/search` does.
async fn search(auth: Auth, query: web::Query<SearchQuery>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let q = query
        .q
        .as_deref()
        .unwrap_or("")
        .trim()
        .trim_start_matches('@');
    let number = |v: &Option<String>, default: i64| {
        v.as_deref()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(default)
    };
    let limit = number(&query.limit, 40).clamp(1, 80);
    let offset = number(&query.offset, 0).max(0);
    if q.is_empty() {
        return Ok(HttpResponse::Ok().json(json!([])));
    }
    let (name, domain) = match q.split_once('@') {
        Some((n, d)) => (n.to_owned(), Some(d.to_owned())),
        None => (q.to_owned(), None),
    };
    let mut found = Vec::new();
    let full_handle = domain.as_deref().is_some_and(|d| !d.is_empty());
    if query.resolve.unwrap_or(false)
        && offset == 0
        && full_handle
        && matches!(split_handle(q), Ok(Some(_)))
    {
        if let Ok(Some(a)) = resolve::account_by_handle(q, true, &data).await {
            found.push(a);
        }
    }
    let search = AccountSearch {
        name,
        // Our own domain names local accounts.
        domain: domain.filter(|d| d != data.urls.domain()),
        followed_by: query.following.unwrap_or(false).then_some(me),
        limit,
        offset,
    };
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| {
            for a in accounts::search(c, &search)? {
                if !found.iter().any(|f| f.id == a.id) {
                    found.push(a);
                }
            }
            found.truncate(limit as usize);
            accounts_view(c, &found, &urls)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn blocks(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(40, 80);
    let rows = data.db.read(move |c| follows::blocked(c, me, page)).await?;
    account_list(&req, &data, rows).await
}

/// For each `id[]`, the accounts the caller follows that follow it.
async fn familiar_followers(req: HttpRequest, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let ids: Vec<i64> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "id[]" || k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .take(40)
        .collect();
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for id in ids {
                if accounts::by_id(c, id).optional()?.is_none() {
                    continue;
                }
                let familiar = follows::familiar_followers(c, me, id, 40)?;
                out.push(json!({ "id": id.to_string(), "accounts": accounts_view(c, &familiar, &urls)? }));
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
struct MuteForm {
    #[serde(default, deserialize_with = "lenient_bool")]
    notifications: Option<bool>,
    /// Seconds; absent or 0 means until unmuted.
    duration: Option<Value>,
}

/// Mutes an account: its posts leave the home timeline and, unless `notifications=false`, its
/// notifications stop (the notification gate drops them), for `duration` seconds or for good.
async fn mute(
    path: web::Path<String>,
    auth: Auth,
    form: Body<MuteForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let target = account_by_id(&data, &path).await?.id;
    if target == me {
        return Err(ApiError::Unprocessable(
            "Validation failed: you cannot mute yourself".into(),
        ));
    }
    let seconds = match &form.0.duration {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(Value::String(s)) if s.is_empty() => 0,
        Some(Value::String(s)) => s.parse().unwrap_or(-1),
        Some(_) => -1,
    };
    if !(0..=10 * 365 * 86_400).contains(&seconds) {
        return Err(ApiError::Unprocessable(
            "Validation failed: duration must be a number of seconds".into(),
        ));
    }
    let expires = (seconds > 0).then(|| kith_storage::now() + chrono::Duration::seconds(seconds));
    let hide = form.0.notifications.unwrap_or(true);
    let rel = data
        .db
        .write(move |c| {
            mutes::mute(c, me, target, hide, expires)?;
            relationship(c, me, target)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rel))
}

async fn unmute(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let target = account_by_id(&data, &path).await?.id;
    let rel = data
        .db
        .write(move |c| {
            mutes::unmute(c, me, target)?;
            relationship(c, me, target)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rel))
}

async fn mutes_list(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(40, 80);
    let rows = data.db.read(move |c| mutes::muted(c, me, page)).await?;
    account_list(&req, &data, rows).await
}

async fn domain_blocks(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(100, 200);
    let rows = data
        .db
        .read(move |c| mutes::blocked_domains(c, me, page))
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let domains: Vec<String> = rows.into_iter().map(|(_, d)| d).collect();
    let mut res = HttpResponse::Ok();
    if let Some(link) = link_header(&req, data.urls.base(), &ids) {
        res.insert_header(("Link", link));
    }
    Ok(res.json(domains))
}

#[derive(Debug, Default, Deserialize)]
struct DomainForm {
    domain: Option<String>,
}

/// The `domain` parameter (query string or body), as a lower-cased bare host name; not ours.
fn domain_param(
    data: &Data,
    query: &web::Query<DomainForm>,
    body: &Body<DomainForm>,
) -> ApiResult<String> {
    let given = query
        .domain
        .as_deref()
        .or(body.0.domain.as_deref())
        .map(|d| d.trim().to_lowercase())
        .unwrap_or_default();
    let valid = !given.is_empty()
        && given.len() <= 253
        && given
            .chars()
            .all(|c| c.is_alphanumeric() || "-.:[]".contains(c));
    if !valid {
        return Err(ApiError::Unprocessable(
            "Validation failed: domain must be a server name".into(),
        ));
    }
    if given == data.urls.domain() {
        return Err(ApiError::Unprocessable(
            "Validation failed: you cannot block your own server".into(),
        ));
    }
    Ok(given)
}

async fn block_domain(
    auth: Auth,
    query: web::Query<DomainForm>,
    body: Body<DomainForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let domain = domain_param(&data, &query, &body)?;
    kith_federation::publish::block_domain(&data, me, domain).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn unblock_domain(
    auth: Auth,
    query: web::Query<DomainForm>,
    body: Body<DomainForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let domain = domain_param(&data, &query, &body)?;
    data.db
        .write(move |c| mutes::unblock_domain(c, me, &domain))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
