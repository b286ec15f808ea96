//! Grouped notifications, Mastodon 4.3's `/api/v2/notifications`: the list (groups cut from
//! the one notifications listing, `activity::notifications_matching`, and grouped by
//! `kith_core::notification_groups`), one group, its accounts, dismissing a group, and the
//! unread count in groups.

use super::notifications::{kinds, query_list};
use crate::auth::Auth;
use crate::entities::notification_group::grouped_view;
use crate::entities::status::{accounts_by_ids_view, group_key};
use crate::error::{ApiError, ApiResult};
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::notification_groups::{GroupKey, GROUPED_KINDS};
use kith_federation::Data;
use kith_storage::activity::{self, Notification, NotificationFilter};
use kith_storage::statuses::Page;
use kith_storage::{markers, DbConn, StorageError};
use serde_json::json;
use std::collections::HashSet;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/notifications", web::get().to(list))
        .route(
            "/v2/notifications/unread_count",
            web::get().to(unread_count),
        )
        .route("/v2/notifications/{group_key}", web::get().to(show))
        .route(
            "/v2/notifications/{group_key}/accounts",
            web::get().to(accounts),
        )
        .route(
            "/v2/notifications/{group_key}/dismiss",
            web::post().to(dismiss),
        );
}

/// Notifications read per trip while cutting a page of groups.
const BATCH: i64 = 80;
/// At most this many trips per page: a page of groups reads at most `BATCH * TRIPS` rows.
const TRIPS: usize = 10;
/// At most this many members of one group are read (its count stops there).
const GROUP_CAP: i64 = 1000;

/// `grouped_types[]`: the kinds a client wants grouped, among those Kith groups (`None`:
/// not given, all of them).
fn grouped_types(req: &HttpRequest) -> Option<Vec<String>> {
    let asked = query_list(req, "grouped_types");
    if asked.is_empty() && !req.query_string().contains("grouped_types") {
        return None;
    }
    Some(
        asked
            .into_iter()
            .filter(|k| GROUPED_KINDS.contains(&k.as_str()))
            .collect(),
    )
}

/// `types[]`, `exclude_types[]`, `account_id` and `include_filtered` (notifications the
/// person's policy holds) as a listing filter.
fn filter(req: &HttpRequest) -> NotificationFilter {
    NotificationFilter {
        kinds: kinds(req),
        from_account: query_list(req, "account_id")
            .first()
            .map(|id| id.parse::<i64>().unwrap_or(-1)),
        include_filtered: query_list(req, "include_filtered")
            .first()
            .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "on" | "yes" | "t")),
        ..NotificationFilter::default()
    }
}

/// The notifications making up up to `page.limit` groups from where `page` starts, newest
/// first: read in batches from the listing, going down from `max_id` (or the newest) or up
/// from `min_id`, until the next notification would open one group too many.
fn scan(
    c: &mut DbConn,
    me: i64,
    filter: &NotificationFilter,
    page: Page,
    grouped: Option<&[String]>,
) -> Result<Vec<Notification>, StorageError> {
    let up = page.min_id.is_some();
    let mut cursor = Page {
        limit: BATCH,
        ..page
    };
    let mut keys: HashSet<String> = HashSet::new();
    let mut out: Vec<Notification> = Vec::new();
    'trips: for _ in 0..TRIPS {
        let batch = activity::notifications_matching(c, me, filter, cursor)?;
        let full = batch.len() as i64 == BATCH;
        let (Some(newest), Some(oldest)) =
            (batch.first().map(|n| n.id), batch.last().map(|n| n.id))
        else {
            break;
        };
        // In the direction of travel: oldest first when paging up.
        let ordered: Vec<Notification> = if up {
            batch.into_iter().rev().collect()
        } else {
            batch
        };
        for n in ordered {
            let key = group_key(&n, grouped);
            if !keys.contains(&key) {
                if keys.len() as i64 == page.limit {
                    break 'trips;
                }
                keys.insert(key);
            }
            out.push(n);
        }
        if !full {
            break;
        }
        if up {
            cursor.min_id = Some(newest);
        } else {
            cursor.max_id = Some(oldest);
        }
    }
    out.sort_by_key(|n| std::cmp::Reverse(n.id));
    Ok(out)
}

async fn list(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(40, 80);
    let filter = filter(&req);
    let grouped = grouped_types(&req);
    let partial = query_list(&req, "expand_accounts")
        .first()
        .map(String::as_str)
        == Some("partial_avatars");
    let urls = data.urls.clone();
    let (bounds, mut body) = data
        .db
        .read(move |c| {
            let rows = scan(c, me, &filter, page, grouped.as_deref())?;
            let bounds: Vec<i64> = match (rows.first(), rows.last()) {
                (Some(newest), Some(oldest)) => vec![newest.id, oldest.id],
                _ => Vec::new(),
            };
            Ok((
                bounds,
                grouped_view(c, &rows, me, grouped.as_deref(), true, &urls)?,
            ))
        })
        .await?;
    if partial {
        body.partial_accounts = Some(Vec::new());
    }
    Ok(paged_json(&req, data.urls.base(), &bounds, body))
}

/// Every notification of `me`'s in the group `key` names (newest first, at most
/// `GROUP_CAP`); none for a key that names no group.
fn members(c: &mut DbConn, me: i64, key: &str) -> Result<Vec<Notification>, StorageError> {
    let all = Page {
        limit: GROUP_CAP,
        ..Page::default()
    };
    let filter = match GroupKey::parse(key) {
        None => return Ok(Vec::new()),
        Some(GroupKey::One(id)) => {
            // The listing decides whether it is shown at all.
            let around = Page {
                max_id: id.checked_add(1),
                since_id: id.checked_sub(1),
                ..Page::default()
            };
            let rows =
                activity::notifications_matching(c, me, &NotificationFilter::default(), around)?;
            return Ok(rows.into_iter().filter(|n| n.id == id).collect());
        }
        Some(GroupKey::Group {
            kind,
            status,
            bucket,
        }) => {
            let Some(window) = GroupKey::window(bucket) else {
                return Ok(Vec::new());
            };
            NotificationFilter {
                kinds: Some(vec![kind]),
                status,
                created: Some(window),
                ..NotificationFilter::default()
            }
        }
    };
    let mut rows = Vec::new();
    let mut cursor = Page { limit: 80, ..all };
    while (rows.len() as i64) < GROUP_CAP {
        let batch = activity::notifications_matching(c, me, &filter, cursor)?;
        let full = batch.len() == 80;
        cursor.max_id = batch.last().map(|n| n.id);
        rows.extend(batch);
        if !full {
            break;
        }
    }
    // A key names its group only if the notifications' own keys agree (a favourite key
    // never selects an ungrouped mention).
    rows.retain(|n| group_key(n, None) == key || key.starts_with("ungrouped-"));
    Ok(rows)
}

async fn show(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let key = path.into_inner();
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| {
            let rows = members(c, me, &key)?;
            grouped_view(c, &rows, me, None, false, &urls)
        })
        .await?;
    if body.notification_groups.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// The accounts behind a group's notifications, newest first, each once.
async fn accounts(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let key = path.into_inner();
    let urls = data.urls.clone();
    let found = data
        .db
        .read(move |c| {
            let rows = members(c, me, &key)?;
            if rows.is_empty() {
                return Ok(None);
            }
            let mut ids: Vec<i64> = rows.iter().map(|n| n.from_account_id).collect();
            let mut seen = HashSet::new();
            ids.retain(|id| seen.insert(*id));
            accounts_by_ids_view(c, &ids, &urls).map(Some)
        })
        .await?;
    let list = found.ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(list))
}

/// Dismisses every notification of the group (nothing to dismiss is no error, as in
/// Mastodon).
async fn dismiss(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let key = path.into_inner();
    data.db
        .write(move |c| {
            for n in members(c, me, &key)? {
                activity::dismiss(c, me, n.id)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// Groups with a notification newer than the notifications marker, counted up to `limit`
/// (default 100, at most 1000), as Mastodon counts them for v2.
async fn unread_count(req: HttpRequest, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let cap = query_list(&req, "limit")
        .first()
        .and_then(|l| l.parse::<i64>().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let filter = filter(&req);
    let grouped = grouped_types(&req);
    let count = data
        .db
        .read(move |c| {
            let after = markers::notifications_read_up_to(c, me)?;
            let mut keys: HashSet<String> = HashSet::new();
            let mut cursor = Page {
                since_id: after,
                limit: BATCH,
                ..Page::default()
            };
            // Each trip reads one batch; enough trips for `cap` groups of one.
            for _ in 0..(cap / BATCH + TRIPS as i64) {
                let batch = activity::notifications_matching(c, me, &filter, cursor)?;
                let full = batch.len() as i64 == BATCH;
                cursor.max_id = batch.last().map(|n| n.id);
                keys.extend(batch.iter().map(|n| group_key(n, grouped.as_deref())));
                if !full || keys.len() as i64 >= cap {
                    break;
                }
            }
            Ok((keys.len() as i64).min(cap))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "count": count })))
}
