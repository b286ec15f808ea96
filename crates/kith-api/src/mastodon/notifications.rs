//! Notifications (`/api/v1/notifications`: list, one, dismiss, clear, unread count; held ones
//! only with `include_filtered` or `account_id`, see `kith_core::shields`) and
//! markers (`/api/v1/markers`: where the home and notifications timelines were last read).

use crate::auth::Auth;
use crate::body::Body;
use crate::entities::marker::markers_to_api;
use crate::entities::status::notifications_view;
use crate::error::{ApiError, ApiResult};
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::notifications::NotificationKind;
use kith_federation::Data;
use kith_storage::{activity, markers};
use serde_json::{json, Value};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/notifications", web::get().to(list))
        .route("/v1/notifications/clear", web::post().to(clear))
        .route(
            "/v1/notifications/unread_count",
            web::get().to(unread_count),
        )
        .route("/v1/notifications/{id}", web::get().to(show))
        .route("/v1/notifications/{id}/dismiss", web::post().to(dismiss))
        .route("/v1/markers", web::get().to(get_markers))
        .route("/v1/markers", web::post().to(set_markers));
}

/// Every value of `key[]` (or `key`) in the query string.
pub(super) fn query_list(req: &HttpRequest, key: &str) -> Vec<String> {
    let bracketed = format!("{key}[]");
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == key || *k == bracketed)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The kinds asked for by `types[]` and `exclude_types[]`; `None` for all.
pub(super) fn kinds(req: &HttpRequest) -> Option<Vec<String>> {
    let types = query_list(req, "types");
    let excluded = query_list(req, "exclude_types");
    if types.is_empty() && excluded.is_empty() {
        return None;
    }
    // Names are read through the kind enum: an unknown type matches nothing.
    let base: Vec<NotificationKind> = if types.is_empty() {
        NotificationKind::ALL.to_vec()
    } else {
        types
            .iter()
            .filter_map(|t| NotificationKind::parse(t))
            .collect()
    };
    Some(
        base.into_iter()
            .map(NotificationKind::as_str)
            .filter(|k| !excluded.iter().any(|e| e == k))
            .map(str::to_owned)
            .collect(),
    )
}

fn notification_id(path: &str) -> ApiResult<i64> {
    path.parse().map_err(|_| ApiError::NotFound)
}

async fn list(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(15, 30);
    // `account_id` (only from that account: held ones too, as Mastodon shows a request's
    // notifications) and `include_filtered` (held ones too).
    let from_account_id = match query_list(&req, "account_id").first() {
        Some(id) => Some(id.parse::<i64>().map_err(|_| ApiError::NotFound)?),
        None => None,
    };
    let include_filtered = query_list(&req, "include_filtered")
        .first()
        .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "on" | "yes" | "t"));
    let filter = activity::NotificationFilter {
        kinds: kinds(&req),
        from_account: from_account_id,
        include_filtered,
        ..activity::NotificationFilter::default()
    };
    let urls = data.urls.clone();
    let (body, ids) = data
        .db
        .read(move |c| {
            let rows = activity::notifications_matching(c, me, &filter, page)?;
            let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
            Ok((notifications_view(c, &rows, me, &urls)?, ids))
        })
        .await?;
    Ok(paged_json(&req, data.urls.base(), &ids, body))
}

async fn show(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = notification_id(&path)?;
    let urls = data.urls.clone();
    let found = data
        .db
        .read(move |c| {
            let row = activity::notification(c, me, id)?;
            notifications_view(c, &[row], me, &urls)
        })
        .await?;
    // A notification whose post its owner may no longer see is not shown, as in the list.
    let one = found.into_iter().next().ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(one))
}

async fn dismiss(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = notification_id(&path)?;
    if !data.db.write(move |c| activity::dismiss(c, me, id)).await? {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn clear(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    data.db
        .write(move |c| activity::clear_notifications(c, me))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// Notifications newer than the notifications marker, counted up to `limit` (default 100,
/// at most 1000), as Mastodon counts them.
async fn unread_count(req: HttpRequest, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let cap = query_list(&req, "limit")
        .first()
        .and_then(|l| l.parse::<i64>().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let kinds = kinds(&req);
    let count = data
        .db
        .read(move |c| {
            let after = markers::notifications_read_up_to(c, me)?;
            activity::count_unread(c, me, after, kinds, cap)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "count": count })))
}

async fn markers_response(data: &Data, me: i64, timelines: Vec<String>) -> ApiResult<HttpResponse> {
    let rows = data
        .db
        .read(move |c| markers::get(c, me, &timelines))
        .await?;
    Ok(HttpResponse::Ok().json(markers_to_api(&rows)))
}

async fn get_markers(req: HttpRequest, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let timelines: Vec<String> = query_list(&req, "timeline")
        .into_iter()
        .filter(|t| markers::TIMELINES.contains(&t.as_str()))
        .collect();
    markers_response(&data, me, timelines).await
}

/// `home[last_read_id]=…` and/or `notifications[last_read_id]=…` (a form or JSON).
async fn set_markers(auth: Auth, body: Body<Value>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let mut updates = Vec::new();
    for timeline in markers::TIMELINES {
        let Some(given) = body.0.get(*timeline) else {
            continue;
        };
        let id = match &given["last_read_id"] {
            Value::String(s) => s.parse::<i64>().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "Validation failed: {timeline}[last_read_id] must be an id"
            ))
        })?;
        updates.push((*timeline, id));
    }
    let timelines = updates.iter().map(|(t, _)| t.to_string()).collect();
    data.db
        .write(move |c| {
            for (timeline, id) in &updates {
                markers::set(c, me, timeline, *id)?;
            }
            Ok(())
        })
        .await?;
    markers_response(&data, me, timelines).await
}
