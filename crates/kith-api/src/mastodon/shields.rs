//! The shields' endpoints: the notification policy (`/api/v2/notifications/policy`, and v1 as
//! Mastodon still serves it), notification requests (`/api/v1/notifications/requests`: list,
//! one, accept, dismiss, in bulk, `merged`), and a moderator's release of a person's held
//! notifications. The rules are in `kith_core::shields` and the notification gate; this only
//! reads and renders.
//!
//! Mounted before `notifications`, whose `/v1/notifications/{id}` would otherwise take
//! `/v1/notifications/requests`.

use crate::auth::Auth;
use crate::body::{lenient_bool, Body};
use crate::entities::shields::{policy_to_api, policy_to_v1, requests_view, Summary};
use crate::error::{ApiError, ApiResult};
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::moderation::Staff;
use kith_core::notifications;
use kith_core::shields::{self, PolicyChanges};
use kith_federation::Data;
use kith_storage::shields as store;
use serde_json::{json, Value};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/notifications/policy", web::get().to(get_policy))
        .route("/v2/notifications/policy", web::patch().to(patch_policy))
        .route("/v1/notifications/policy", web::get().to(get_policy_v1))
        .route("/v1/notifications/policy", web::patch().to(patch_policy_v1))
        .route("/v1/notifications/requests", web::get().to(list_requests))
        .route("/v1/notifications/requests/merged", web::get().to(merged))
        .route(
            "/v1/notifications/requests/accept",
            web::post().to(accept_many),
        )
        .route(
            "/v1/notifications/requests/dismiss",
            web::post().to(dismiss_many),
        )
        .route(
            "/v1/notifications/requests/{id}",
            web::get().to(show_request),
        )
        .route(
            "/v1/notifications/requests/{id}/accept",
            web::post().to(accept_one),
        )
        .route(
            "/v1/notifications/requests/{id}/dismiss",
            web::post().to(dismiss_one),
        )
        .route(
            "/v1/admin/accounts/{id}/release_notifications",
            web::post().to(release),
        );
}

/// Mastodon caps `pending_requests_count` at 100.
const SUMMARY_CAP: i64 = 100;

async fn policy_parts(data: &Data, me: i64) -> ApiResult<(shields::Policy, Summary)> {
    Ok(data
        .db
        .read(move |c| {
            let policy = shields::policy_of(c, me)?;
            let (requests, notifications) = store::pending_counts(c, me, SUMMARY_CAP)?;
            Ok((
                policy,
                Summary {
                    pending_requests_count: requests,
                    pending_notifications_count: notifications,
                },
            ))
        })
        .await?)
}

async fn get_policy(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let (policy, summary) = policy_parts(&data, me).await?;
    Ok(HttpResponse::Ok().json(policy_to_api(&policy, summary)))
}

async fn get_policy_v1(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let (policy, summary) = policy_parts(&data, me).await?;
    Ok(HttpResponse::Ok().json(policy_to_v1(&policy, summary)))
}

/// A string field of the body, if given (`null` counts as not given).
fn text(body: &Value, key: &str) -> ApiResult<Option<String>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::Unprocessable(format!(
            "Validation failed: {key} must be one of accept, filter, drop"
        ))),
    }
}

/// A number field (`""` or `null`: back to the instance default).
fn number(body: &Value, key: &str) -> ApiResult<Option<Option<i32>>> {
    let bad = || ApiError::Unprocessable(format!("Validation failed: {key} must be a number"));
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => s.trim().parse().map(|n| Some(Some(n))).map_err(|_| bad()),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(|n| Some(Some(n)))
            .ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// A boolean field, read as forms and JSON send them (`""` or `null`: the instance default).
fn flag(body: &Value, key: &str) -> ApiResult<Option<Option<bool>>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(v) => lenient_bool(v.clone())
            .map(Some)
            .map_err(|e| ApiError::Unprocessable(format!("Validation failed: {key}: {e}"))),
    }
}

/// Kith's own settings, given at the top level or in a `kith` object (`kith[dogpile_threshold]`
/// in a form).
fn kith_changes(body: &Value, changes: &mut PolicyChanges) -> ApiResult<()> {
    for scope in [body, &body["kith"]] {
        if !scope.is_object() {
            continue;
        }
        macro_rules! take {
            ($field:ident, $read:ident) => {
                if let Some(v) = $read(scope, stringify!($field))? {
                    changes.$field = Some(v);
                }
            };
        }
        take!(new_account_days, number);
        take!(new_domain_days, number);
        take!(dogpile_threshold, number);
        take!(dogpile_minutes, number);
        take!(signal_many_digits, flag);
        take!(signal_few_followers, flag);
        take!(signal_no_avatar_bio, flag);
        take!(message_requests, flag);
    }
    Ok(())
}

async fn save(data: &Data, me: i64, changes: PolicyChanges) -> ApiResult<()> {
    data.db
        .write(move |c| shields::update_policy(c, me, changes))
        .await??;
    Ok(())
}

/// `for_not_following`, … `for_limited_accounts` (`accept`, `filter` or `drop`), and Kith's
/// settings; what is not given stays as it was.
async fn patch_policy(auth: Auth, body: Body<Value>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let b = &body.0;
    let mut changes = PolicyChanges {
        for_not_following: text(b, "for_not_following")?,
        for_not_followers: text(b, "for_not_followers")?,
        for_new_accounts: text(b, "for_new_accounts")?,
        for_private_mentions: text(b, "for_private_mentions")?,
        for_limited_accounts: text(b, "for_limited_accounts")?,
        ..PolicyChanges::default()
    };
    kith_changes(b, &mut changes)?;
    save(&data, me, changes).await?;
    get_policy(auth, data).await
}

/// v1: `filter_not_following`, … as booleans (true: `filter`, false: `accept`).
async fn patch_policy_v1(auth: Auth, body: Body<Value>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let b = &body.0;
    let action = |key: &str| -> ApiResult<Option<String>> {
        Ok(flag(b, key)?
            .flatten()
            .map(|f| if f { "filter" } else { "accept" }.to_owned()))
    };
    let mut changes = PolicyChanges {
        for_not_following: action("filter_not_following")?,
        for_not_followers: action("filter_not_followers")?,
        for_new_accounts: action("filter_new_accounts")?,
        for_private_mentions: action("filter_private_mentions")?,
        ..PolicyChanges::default()
    };
    kith_changes(b, &mut changes)?;
    save(&data, me, changes).await?;
    get_policy_v1(auth, data).await
}

async fn list_requests(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(40, 80);
    let urls = data.urls.clone();
    let (body, ids) = data
        .db
        .read(move |c| {
            let rows = store::requests(c, me, page)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            Ok((requests_view(c, &rows, me, &urls)?, ids))
        })
        .await?;
    Ok(paged_json(&req, data.urls.base(), &ids, body))
}

fn request_id(path: &str) -> ApiResult<i64> {
    path.parse().map_err(|_| ApiError::NotFound)
}

async fn show_request(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = request_id(&path)?;
    let urls = data.urls.clone();
    let found = data
        .db
        .read(move |c| {
            let row = store::request(c, me, id)?;
            requests_view(c, &[row], me, &urls)
        })
        .await?;
    let one = found.into_iter().next().ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(one))
}

async fn accept_one(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = request_id(&path)?;
    data.db
        .write(move |c| notifications::accept_request(c, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn dismiss_one(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = request_id(&path)?;
    data.db
        .write(move |c| notifications::dismiss_request(c, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// The ids of a bulk request: `id[]=…` in a form or `"id": […]` in JSON. Nested lists are
/// flattened (Mastodon.py sends `id[][]=…`, which Mastodon accepts); unknown or foreign ids are
/// passed over later, as Mastodon does.
fn ids(body: Body<Value>) -> Vec<i64> {
    fn collect(v: &Value, out: &mut Vec<i64>) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            Value::String(s) => out.extend(s.parse::<i64>().ok()),
            Value::Number(n) => out.extend(n.as_i64()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for key in ["id", "id[]"] {
        collect(&body.0[key], &mut out);
    }
    out.truncate(kith_core::limits::MAX_BULK_IDS);
    out
}

async fn accept_many(auth: Auth, body: Body<Value>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let ids = ids(body);
    data.db
        .write(move |c| {
            for id in ids {
                if store::request(c, me, id).is_ok() {
                    notifications::accept_request(c, me, id)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn dismiss_many(auth: Auth, body: Body<Value>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let ids = ids(body);
    data.db
        .write(move |c| {
            for id in ids {
                if store::request(c, me, id).is_ok() {
                    notifications::dismiss_request(c, me, id)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// Whether accepted requests' notifications have joined the list: Kith releases them in the
/// accepting transaction, so always.
async fn merged(auth: Auth) -> ApiResult<HttpResponse> {
    auth.account()?;
    Ok(HttpResponse::Ok().json(json!({ "merged": true })))
}

/// A moderator releases everything a local account's shields hold (every request accepted
/// for what it holds now; later notifications from those senders are judged afresh).
/// Answers `{"released": N}`; audited.
async fn release(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let id = auth.account()?.id;
    let staff = Staff::new(id, auth.0.role)
        .ok_or_else(|| ApiError::Forbidden("This action is not allowed".into()))?;
    let target: i64 = path.parse().map_err(|_| ApiError::NotFound)?;
    let n = data
        .db
        .write(move |c| Ok(shields::moderator_release(c, staff, target)))
        .await??;
    Ok(HttpResponse::Ok().json(json!({ "released": n })))
}
