//! Scheduled statuses: `POST /api/v1/statuses` with `scheduled_at` (at least 5 minutes ahead)
//! keeps the checked parameters instead of posting, and `GET/PUT/DELETE
//! /api/v1/scheduled_statuses(/{id})` list, move and drop them. The publishing job ([`run`])
//! claims each due row in the database, so one process posts it; it posts through the same
//! path as the API (checks, poll, media) under an idempotency key of its own, so a post
//! interrupted between posting and deleting its row is not posted twice.

use super::statuses::{prepare, Prepared, StatusForm};
use crate::auth::Auth;
use crate::body::Body;
use crate::entities::media::media_attachment;
use crate::entities::timestamp;
use crate::error::{ApiError, ApiResult};
use crate::paging::{paged_json, PageQuery};
use activitypub_federation::config::FederationConfig;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use kith_federation::{publish, Data, KithContext};
use kith_storage::accounts::Account;
use kith_storage::scheduled::{self, Scheduled};
use kith_storage::{DbConn, OptionalExt, StorageError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

/// How far ahead a status must be scheduled (Mastodon's 5 minutes).
const MIN_AHEAD: chrono::Duration = chrono::Duration::minutes(5);
/// Most scheduled statuses per account, and per account and day (Mastodon's).
const MAX_TOTAL: i64 = 300;
const MAX_PER_DAY: i64 = 25;
/// How long a process holds a scheduled status it is publishing before another may retry.
const CLAIM: chrono::Duration = chrono::Duration::minutes(10);
/// How often the publishing job looks for due statuses.
pub const SCHEDULED_JOB_EVERY: Duration = Duration::from_secs(2);

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/scheduled_statuses", web::get().to(list))
        .route("/v1/scheduled_statuses/{id}", web::get().to(show))
        .route("/v1/scheduled_statuses/{id}", web::put().to(update))
        .route("/v1/scheduled_statuses/{id}", web::delete().to(remove));
}

/// Mastodon's `ScheduledStatus`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScheduledStatus {
    pub(crate) id: String,
    pub(crate) scheduled_at: String,
    pub(crate) params: Value,
    pub(crate) media_attachments: Vec<Value>,
}

/// A time as clients send `scheduled_at`: RFC 3339, or without a zone (read as UTC).
fn parse_at(s: &str) -> ApiResult<NaiveDateTime> {
    let s = s.trim();
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .map_err(|_| {
            ApiError::Unprocessable(
                "Validation failed: scheduled_at must be a date and time (ISO 8601)".into(),
            )
        })
}

/// `scheduled_at`, which must be at least 5 minutes ahead.
fn future_time(s: &str) -> ApiResult<NaiveDateTime> {
    let at = parse_at(s)?;
    if at < kith_storage::now() + MIN_AHEAD {
        return Err(ApiError::Unprocessable(
            "Validation failed: Scheduled at The scheduled date must be in the future (at least 5 minutes ahead)"
                .into(),
        ));
    }
    Ok(at)
}

/// The parameters kept, in the shape Mastodon's `ScheduledStatus.params` has.
fn params_of(p: &Prepared, key: Option<String>) -> Value {
    let new = &p.new;
    json!({
        "text": new.text,
        "visibility": new.visibility.as_str(),
        "sensitive": new.sensitive,
        "spoiler_text": Some(&new.spoiler_text).filter(|s| !s.is_empty()),
        "in_reply_to_id": new.in_reply_to.as_ref().map(|s| s.id),
        "media_ids": (!new.media_ids.is_empty())
            .then(|| new.media_ids.iter().map(i64::to_string).collect::<Vec<_>>()),
        "poll": p.poll.as_ref().map(|poll| json!({
            "options": poll.options, "expires_in": poll.expires_in,
            "multiple": poll.multiple, "hide_totals": poll.hide_totals,
        })),
        "language": new.language,
        "scheduled_at": null,
        "idempotency": key,
        "application_id": 0,
        "with_rate_limit": false,
    })
}

/// The form a stored `params` makes again, to be checked and posted.
fn form_of(params: &Value, with_reply: bool) -> ApiResult<StatusForm> {
    let get = |k: &str| params.get(k).cloned().unwrap_or(Value::Null);
    let reply = match get("in_reply_to_id") {
        Value::Number(n) if with_reply => json!(n.to_string()),
        _ => Value::Null,
    };
    let form = json!({
        "status": get("text"), "visibility": get("visibility"), "sensitive": get("sensitive"),
        "spoiler_text": get("spoiler_text"), "in_reply_to_id": reply,
        "media_ids": get("media_ids"), "poll": get("poll"), "language": get("language"),
    });
    serde_json::from_value(form)
        .map_err(|e| ApiError::Unprocessable(format!("Validation failed: {e}")))
}

fn to_api(c: &mut DbConn, row: &Scheduled, data: &Data) -> Result<ScheduledStatus, StorageError> {
    let ids = scheduled::media_of(c, row.id)?;
    let mut media = kith_storage::media::by_ids(c, &ids)?;
    let params: Value = serde_json::from_str(&row.params).unwrap_or_default();
    // In the order the post will have them.
    let order: Vec<i64> = params["media_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
        .unwrap_or_default();
    media.sort_by_key(|m| order.iter().position(|id| *id == m.id));
    Ok(ScheduledStatus {
        id: row.id.to_string(),
        scheduled_at: timestamp(row.scheduled_at),
        params,
        media_attachments: media
            .iter()
            .map(|m| serde_json::to_value(media_attachment(m, &data.urls)).unwrap_or_default())
            .collect(),
    })
}

/// Keeps a checked post to be published at `at` (the request's `scheduled_at`).
pub(super) async fn schedule(
    data: &Data,
    me: &Account,
    at: &str,
    prepared: Prepared,
    key: Option<String>,
) -> ApiResult<HttpResponse> {
    let at = future_time(at)?;
    publish::check_media(data, me.id, None, &prepared.new.media_ids).await?;
    let id = kith_storage::id::new_id();
    let row = Scheduled {
        id,
        account_id: me.id,
        scheduled_at: at,
        params: params_of(&prepared, key).to_string(),
        claimed_until: None,
        created_at: kith_storage::now(),
    };
    let media = prepared.new.media_ids.clone();
    let d = data.clone();
    let entity = data
        .db
        .write(move |c| {
            check_quota(c, row.account_id, at, None)?;
            scheduled::insert(c, &row, &media)?;
            to_api(c, &row, &d)
        })
        .await
        .map_err(quota_error)?;
    Ok(HttpResponse::Ok().json(entity))
}

/// Mastodon's limits: 300 scheduled in all, 25 on one day (`except`: a row being moved).
fn check_quota(
    c: &mut DbConn,
    account: i64,
    at: NaiveDateTime,
    except: Option<i64>,
) -> Result<(), StorageError> {
    let day = at.date().and_hms_opt(0, 0, 0).unwrap_or(at);
    let (total, on_day) = scheduled::count_for(c, account, day, day + chrono::Duration::days(1))?;
    let moving = i64::from(except.is_some());
    if except.is_none() && total >= MAX_TOTAL {
        return Err(StorageError::Conflict("total".into()));
    }
    if on_day - moving >= MAX_PER_DAY {
        return Err(StorageError::Conflict("day".into()));
    }
    Ok(())
}

fn quota_error(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict(which) if which == "total" => ApiError::Unprocessable(format!(
            "Validation failed: You cannot schedule more than {MAX_TOTAL} statuses"
        )),
        StorageError::Conflict(which) if which == "day" => ApiError::Unprocessable(format!(
            "Validation failed: You cannot schedule more than {MAX_PER_DAY} statuses on one day"
        )),
        other => other.into(),
    }
}

async fn list(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(20, 40);
    let d = data.clone();
    let (ids, body) = data
        .db
        .read(move |c| {
            let rows = scheduled::list(c, me, page)?;
            let body = rows
                .iter()
                .map(|r| to_api(c, r, &d))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((rows.iter().map(|r| r.id).collect::<Vec<_>>(), body))
        })
        .await?;
    Ok(paged_json(&req, data.urls.base(), &ids, body))
}

async fn own(data: &Data, id: &str, me: i64) -> ApiResult<Scheduled> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    data.db
        .read(move |c| scheduled::of_account(c, me, id).optional())
        .await?
        .ok_or(ApiError::NotFound)
}

async fn show(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let row = own(&data, &path, auth.account()?.id).await?;
    let d = data.clone();
    let entity = data.db.read(move |c| to_api(c, &row, &d)).await?;
    Ok(HttpResponse::Ok().json(entity))
}

#[derive(Debug, Deserialize)]
struct UpdateForm {
    scheduled_at: Option<String>,
}

async fn update(
    path: web::Path<String>,
    auth: Auth,
    form: Body<UpdateForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let row = own(&data, &path, me).await?;
    let Some(at) = form.0.scheduled_at.filter(|s| !s.trim().is_empty()) else {
        return Err(ApiError::Unprocessable(
            "Validation failed: scheduled_at can't be blank".into(),
        ));
    };
    let at = future_time(&at)?;
    let d = data.clone();
    let entity = data
        .db
        .write(move |c| {
            let same_day = row.scheduled_at.date() == at.date();
            check_quota(c, me, at, same_day.then_some(row.id))?;
            scheduled::reschedule(c, row.id, at)?;
            let moved = scheduled::by_id(c, row.id)?;
            to_api(c, &moved, &d)
        })
        .await
        .map_err(quota_error)?;
    Ok(HttpResponse::Ok().json(entity))
}

async fn remove(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let row = own(&data, &path, auth.account()?.id).await?;
    data.db.write(move |c| scheduled::delete(c, row.id)).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// The publishing job: every `every`, posts the scheduled statuses that are due. Runs until
/// aborted.
pub async fn run(federation: FederationConfig<KithContext>, every: Duration) {
    let mut rounds: u64 = 0;
    loop {
        let data = federation.to_request_data();
        if let Err(e) = publish_due(&data).await {
            tracing::warn!(error = %e, "publishing scheduled statuses failed");
        }
        // Now and then, forget idempotency keys past their hour.
        if rounds.is_multiple_of(600) {
            let before = kith_storage::now() - chrono::Duration::hours(1);
            if let Err(e) = data
                .db
                .write(move |c| kith_storage::idempotency::prune(c, before))
                .await
            {
                tracing::warn!(error = %e, "pruning idempotency keys failed");
            }
        }
        rounds += 1;
        tokio::time::sleep(every).await;
    }
}

/// Posts every scheduled status due now that no other process holds.
pub async fn publish_due(data: &Data) -> ApiResult<()> {
    let now = kith_storage::now();
    let due = data.db.read(move |c| scheduled::due(c, now, 50)).await?;
    for id in due {
        let claimed = data
            .db
            .write(move |c| scheduled::claim(c, id, now, now + CLAIM))
            .await?;
        if !claimed {
            continue;
        }
        match publish_one(data, id).await {
            Ok(()) => {}
            // It can never be posted (its author is gone, its text is no longer valid…).
            Err(e @ (ApiError::Unprocessable(_) | ApiError::NotFound)) => {
                tracing::warn!(id, error = %e, "dropping a scheduled status that cannot be posted");
                data.db.write(move |c| scheduled::delete(c, id)).await?;
            }
            // Tried again when the claim runs out.
            Err(e) => tracing::warn!(id, error = %e, "could not post a scheduled status"),
        }
    }
    Ok(())
}

async fn publish_one(data: &Data, id: i64) -> ApiResult<()> {
    let (row, me) = data
        .db
        .read(move |c| {
            let row = scheduled::by_id(c, id)?;
            let me = kith_storage::accounts::by_id(c, row.account_id)?;
            Ok((row, me))
        })
        .await?;
    let params: Value = serde_json::from_str(&row.params).unwrap_or_default();
    let prepared = match prepare(data, &me, form_of(&params, true)?).await {
        // The post it answers is gone (or hidden now): posted on its own, as Mastodon does.
        Err(ApiError::NotFound) => prepare(data, &me, form_of(&params, false)?).await?,
        other => other?,
    };
    let key = Some(format!("kith-scheduled-{id}"));
    super::idempotency::post_once(data, me, key, prepared).await?;
    data.db.write(move |c| scheduled::delete(c, id)).await?;
    Ok(())
}
