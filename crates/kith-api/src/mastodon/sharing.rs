//! Kith's admin paths for moderation shared across instances (`docs/moderation.md`):
//! blocklist subscriptions (`/api/v1/admin/kith/blocklist_subscriptions`), the entries shared
//! sources gave with their provenance and state (`/api/v1/admin/kith/shared_entries`: approve,
//! reject, confirm), and the moderation cohort (`/api/v1/admin/kith/cohort`: invite, accept,
//! policy, leave). Staff only; the rules are in `kith_core::shared_moderation`,
//! `kith_federation::blocklists` and `kith_federation::cohort`.

use crate::auth::Auth;
use crate::body::Body;
use crate::entities::timestamp;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_core::moderation::Staff;
use kith_core::shared_moderation::{self as shared, Mode};
use kith_federation::{blocklists, cohort, Data};
use kith_storage::sharing::{self as store, CohortMember, SharedDecision, Subscription};
use kith_storage::DbConn;
use serde::{Deserialize, Serialize};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/v1/admin/kith/blocklist_subscriptions",
        web::get().to(list_subscriptions),
    )
    .route(
        "/v1/admin/kith/blocklist_subscriptions",
        web::post().to(subscribe),
    )
    .route(
        "/v1/admin/kith/blocklist_subscriptions/{id}",
        web::get().to(show_subscription),
    )
    .route(
        "/v1/admin/kith/blocklist_subscriptions/{id}",
        web::delete().to(unsubscribe),
    )
    .route(
        "/v1/admin/kith/blocklist_subscriptions/{id}/refresh",
        web::post().to(refresh),
    )
    .route("/v1/admin/kith/shared_entries", web::get().to(list_entries))
    .route(
        "/v1/admin/kith/shared_entries/{id}/approve",
        web::post().to(approve),
    )
    .route(
        "/v1/admin/kith/shared_entries/{id}/reject",
        web::post().to(reject),
    )
    .route(
        "/v1/admin/kith/shared_entries/{id}/confirm",
        web::post().to(confirm),
    )
    .route("/v1/admin/kith/cohort", web::get().to(list_cohort))
    .route("/v1/admin/kith/cohort/invite", web::post().to(invite))
    .route("/v1/admin/kith/cohort/{id}/accept", web::post().to(accept))
    .route("/v1/admin/kith/cohort/{id}", web::put().to(set_policy))
    .route("/v1/admin/kith/cohort/{id}", web::delete().to(leave));
}

fn staff(auth: &Auth) -> Result<Staff, ApiError> {
    let id = auth.account()?.id;
    Staff::new(id, auth.0.role)
        .ok_or_else(|| ApiError::Forbidden("This action is not allowed".into()))
}

fn path_id(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound)
}

/// A blocklist subscription.
#[derive(Debug, Serialize)]
struct SubscriptionJson {
    id: String,
    url: String,
    mode: String,
    created_at: String,
    last_fetched_at: Option<String>,
    last_success_at: Option<String>,
    last_error: Option<String>,
    last_note: Option<String>,
}

impl From<Subscription> for SubscriptionJson {
    fn from(s: Subscription) -> Self {
        SubscriptionJson {
            id: s.id.to_string(),
            url: s.url,
            mode: s.mode,
            created_at: timestamp(s.created_at),
            last_fetched_at: s.last_fetched_at.map(timestamp),
            last_success_at: s.last_success_at.map(timestamp),
            last_error: s.last_error,
            last_note: s.last_note,
        }
    }
}

/// Where a shared entry came from.
#[derive(Debug, Serialize)]
struct SourceJson {
    /// `subscription` or `cohort`.
    #[serde(rename = "type")]
    kind: String,
    id: String,
    /// `blocklist URL` or `the moderators of DOMAIN`.
    label: String,
}

/// A shared entry with its provenance.
#[derive(Debug, Serialize)]
struct EntryJson {
    id: String,
    target_type: String,
    target: String,
    severity: String,
    reject_media: bool,
    reject_reports: bool,
    comment: Option<String>,
    state: String,
    source: SourceJson,
    source_activity: Option<String>,
    created_at: String,
    updated_at: String,
}

fn entry_json(c: &mut DbConn, d: SharedDecision) -> Result<EntryJson, kith_storage::StorageError> {
    let label = shared::source_label(c, &d.source_kind, d.source_id)?;
    Ok(EntryJson {
        id: d.id.to_string(),
        target_type: d.target_kind,
        target: d.target,
        severity: d.severity,
        reject_media: d.reject_media,
        reject_reports: d.reject_reports,
        comment: d.comment,
        state: d.state,
        source: SourceJson {
            kind: d.source_kind,
            id: d.source_id.to_string(),
            label,
        },
        source_activity: d.source_ref,
        created_at: timestamp(d.created_at),
        updated_at: timestamp(d.updated_at),
    })
}

/// A cohort relationship.
#[derive(Debug, Serialize)]
struct MemberJson {
    id: String,
    actor: String,
    domain: String,
    /// `invited` (by this instance), `invitation` (to this instance) or `member`.
    state: String,
    policy: String,
    created_at: String,
}

impl From<CohortMember> for MemberJson {
    fn from(m: CohortMember) -> Self {
        MemberJson {
            id: m.id.to_string(),
            actor: m.actor_id,
            domain: m.domain,
            state: m.state,
            policy: m.policy,
            created_at: timestamp(m.created_at),
        }
    }
}

async fn list_subscriptions(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    staff(&auth)?;
    let rows = data.db.read(store::subscriptions).await?;
    let out: Vec<SubscriptionJson> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(out))
}

async fn show_subscription(
    auth: Auth,
    data: Data,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    staff(&auth)?;
    let id = path_id(&id)?;
    let row = data.db.read(move |c| store::subscription(c, id)).await?;
    Ok(HttpResponse::Ok().json(SubscriptionJson::from(row)))
}

#[derive(Debug, Deserialize)]
struct SubscribeForm {
    url: Option<String>,
    mode: Option<String>,
}

async fn subscribe(auth: Auth, data: Data, form: Body<SubscribeForm>) -> ApiResult<HttpResponse> {
    let me = staff(&auth)?;
    let form = form.0;
    let url = form
        .url
        .ok_or_else(|| ApiError::Unprocessable("Validation failed: url can't be blank".into()))?;
    let mode = form.mode.unwrap_or_else(|| "review".into());
    let row = data
        .db
        .write(move |c| Ok(blocklists::subscribe(c, me.account_id, &url, &mode)))
        .await??;
    Ok(HttpResponse::Ok().json(SubscriptionJson::from(row)))
}

async fn unsubscribe(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let me = staff(&auth)?;
    let id = path_id(&id)?;
    data.db
        .write(move |c| Ok(blocklists::unsubscribe(c, me.account_id, id)))
        .await??;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// Fetches the list now (as the periodic job does) and answers with the subscription after.
async fn refresh(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    staff(&auth)?;
    let id = path_id(&id)?;
    let row = blocklists::refresh(&data, id).await?;
    Ok(HttpResponse::Ok().json(SubscriptionJson::from(row)))
}

#[derive(Debug, Deserialize)]
struct EntryQuery {
    state: Option<String>,
    target: Option<String>,
}

async fn list_entries(
    auth: Auth,
    data: Data,
    q: web::Query<EntryQuery>,
) -> ApiResult<HttpResponse> {
    staff(&auth)?;
    let q = q.into_inner();
    let out = data
        .db
        .read(move |c| {
            let rows = store::decisions(c, q.state.as_deref(), q.target.as_deref())?;
            rows.into_iter()
                .map(|d| entry_json(c, d))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

async fn decide(
    auth: Auth,
    data: Data,
    id: web::Path<String>,
    how: fn(&mut DbConn, Staff, i64) -> Result<SharedDecision, kith_core::CoreError>,
) -> ApiResult<HttpResponse> {
    let me = staff(&auth)?;
    let id = path_id(&id)?;
    let out = data
        .db
        .write(move |c| match how(c, me, id) {
            Ok(d) => Ok(Ok(entry_json(c, d)?)),
            Err(e) => Ok(Err(e)),
        })
        .await??;
    Ok(HttpResponse::Ok().json(out))
}

async fn approve(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    decide(auth, data, id, shared::approve).await
}

async fn reject(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    decide(auth, data, id, shared::reject).await
}

async fn confirm(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    decide(auth, data, id, shared::confirm).await
}

async fn list_cohort(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    staff(&auth)?;
    let rows = data.db.read(store::members).await?;
    let out: Vec<MemberJson> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize)]
struct CohortForm {
    /// The other instance's actor (or its base URL).
    actor: Option<String>,
    /// apply, review (the default) or ignore.
    policy: Option<String>,
}

fn policy_of(raw: Option<&str>) -> Result<Mode, ApiError> {
    Ok(Mode::parse(raw.unwrap_or("review"))?)
}

async fn invite(auth: Auth, data: Data, form: Body<CohortForm>) -> ApiResult<HttpResponse> {
    let me = staff(&auth)?;
    let form = form.0;
    let actor = form
        .actor
        .ok_or_else(|| ApiError::Unprocessable("Validation failed: actor can't be blank".into()))?;
    let policy = policy_of(form.policy.as_deref())?;
    let m = cohort::invite(&data, me.account_id, &actor, policy).await?;
    Ok(HttpResponse::Ok().json(MemberJson::from(m)))
}

async fn accept(
    auth: Auth,
    data: Data,
    id: web::Path<String>,
    form: Body<CohortForm>,
) -> ApiResult<HttpResponse> {
    let me = staff(&auth)?;
    let id = path_id(&id)?;
    let policy = policy_of(form.0.policy.as_deref())?;
    let urls = data.urls.clone();
    let m = data
        .db
        .write(move |c| cohort::accept(c, &urls, me.account_id, id, policy))
        .await?;
    data.delivery_wakeup.notify_one();
    Ok(HttpResponse::Ok().json(MemberJson::from(m)))
}

async fn set_policy(
    auth: Auth,
    data: Data,
    id: web::Path<String>,
    form: Body<CohortForm>,
) -> ApiResult<HttpResponse> {
    let me = staff(&auth)?;
    let id = path_id(&id)?;
    let policy = policy_of(form.0.policy.as_deref())?;
    let m = data
        .db
        .write(move |c| cohort::set_policy(c, me.account_id, id, policy))
        .await?;
    Ok(HttpResponse::Ok().json(MemberJson::from(m)))
}

async fn leave(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let me = staff(&auth)?;
    let id = path_id(&id)?;
    let urls = data.urls.clone();
    data.db
        .write(move |c| Ok(cohort::leave(c, &urls, me.account_id, id)))
        .await??;
    data.delivery_wakeup.notify_one();
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
