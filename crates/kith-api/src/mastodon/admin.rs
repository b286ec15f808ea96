//! The admin API: Mastodon's `/api/v1/admin/accounts` (and v2), account actions,
//! `/api/v1/admin/reports`, and Kith's own admin paths (report notes, status actions, the
//! audit log, the registration mode, invites; see docs/moderation.md). The scope gate lets
//! only admins and moderators in (`scopes::Access::Staff`); every action is audited by the
//! domain layer (`kith_core::moderation`).

use crate::auth::Auth;
use crate::body::{lenient_bool, string_or_number, Body};
use crate::entities::admin::{
    admin_accounts_view, admin_reports_view, audit_to_api, invite_to_api, note_to_api,
};
use crate::error::{ApiError, ApiResult};
use crate::paging::{link_header, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::moderation::{self, AccountAction, ActionDetails, Staff};
use kith_core::registrations::{self, Mode};
use kith_federation::Data;
use kith_storage::moderation::{self as rows, AccountFilter, ReportFilter};
use kith_storage::{accounts, users, OptionalExt};
use serde::Deserialize;
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/admin/accounts", web::get().to(list_accounts_v1))
        .route("/v2/admin/accounts", web::get().to(list_accounts_v2))
        .route("/v1/admin/accounts/{id}", web::get().to(show_account))
        .route("/v1/admin/accounts/{id}", web::delete().to(delete_account))
        .route(
            "/v1/admin/accounts/{id}/action",
            web::post().to(account_action),
        )
        .route("/v1/admin/accounts/{id}/approve", web::post().to(approve))
        .route("/v1/admin/accounts/{id}/reject", web::post().to(reject))
        .route("/v1/admin/accounts/{id}/enable", web::post().to(enable))
        .route(
            "/v1/admin/accounts/{id}/unsilence",
            web::post().to(unsilence),
        )
        .route(
            "/v1/admin/accounts/{id}/unsuspend",
            web::post().to(unsuspend),
        )
        .route(
            "/v1/admin/accounts/{id}/unsensitive",
            web::post().to(unsensitive),
        )
        .route("/v1/admin/reports", web::get().to(list_reports))
        .route("/v1/admin/reports/{id}", web::get().to(show_report))
        .route(
            "/v1/admin/reports/{id}/assign_to_self",
            web::post().to(assign_to_self),
        )
        .route("/v1/admin/reports/{id}/unassign", web::post().to(unassign))
        .route("/v1/admin/reports/{id}/resolve", web::post().to(resolve))
        .route("/v1/admin/reports/{id}/reopen", web::post().to(reopen))
        .route("/v1/admin/reports/{id}/notes", web::get().to(list_notes))
        .route("/v1/admin/reports/{id}/notes", web::post().to(add_note))
        .route(
            "/v1/admin/statuses/{id}/sensitive",
            web::post().to(status_sensitive),
        )
        .route("/v1/admin/statuses/{id}", web::delete().to(delete_status))
        .route("/v1/admin/audit_log", web::get().to(audit_log))
        .route("/v1/admin/registrations", web::get().to(get_registrations))
        .route("/v1/admin/registrations", web::put().to(set_registrations))
        .route("/v1/admin/invites", web::get().to(list_invites))
        .route("/v1/admin/invites", web::post().to(create_invite))
        .route("/v1/admin/invites/{id}", web::delete().to(delete_invite));
}

/// The caller as staff (the gate has checked the role already; this reads it for the rules).
fn staff(auth: &Auth) -> Result<Staff, ApiError> {
    let id = auth.account()?.id;
    Staff::new(id, auth.0.role)
        .ok_or_else(|| ApiError::Forbidden("This action is not allowed".into()))
}

fn path_id(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound)
}

fn opt_id(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|v| v.parse().ok())
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

async fn accounts_response(
    req: &HttpRequest,
    data: &Data,
    filter: AccountFilter,
    ip: bool,
) -> ApiResult<HttpResponse> {
    let urls = data.urls.clone();
    let (body, ids) = data
        .db
        .read(move |c| {
            // Kith keeps no sign-in addresses: a filter by address matches nobody.
            let found = if ip {
                Vec::new()
            } else {
                rows::admin_accounts(c, &filter)?
            };
            let ids: Vec<i64> = found.iter().map(|(a, _, _)| a.id).collect();
            Ok((admin_accounts_view(c, &found, &urls)?, ids))
        })
        .await?;
    let mut res = HttpResponse::Ok();
    if let Some(link) = link_header(req, data.urls.base(), &ids) {
        res.insert_header(("Link", link));
    }
    Ok(res.json(body))
}

#[derive(Debug, Deserialize)]
struct AccountsV1 {
    #[serde(default, deserialize_with = "lenient_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    active: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pending: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    disabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    silenced: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    suspended: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    staff: Option<bool>,
    username: Option<String>,
    display_name: Option<String>,
    by_domain: Option<String>,
    email: Option<String>,
    ip: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

async fn list_accounts_v1(
    req: HttpRequest,
    q: web::Query<AccountsV1>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let local = match (q.local, q.remote) {
        (Some(true), _) => Some(true),
        (_, Some(true)) => Some(false),
        _ => None,
    };
    let status = [
        (q.active, "active"),
        (q.pending, "pending"),
        (q.disabled, "disabled"),
        (q.silenced, "silenced"),
        (q.suspended, "suspended"),
    ]
    .into_iter()
    .find(|(on, _)| *on == Some(true))
    .map(|(_, s)| s.to_owned());
    let page = q.page.page(100, 200);
    let filter = AccountFilter {
        local,
        status,
        staff: q.staff == Some(true),
        username: nonempty(&q.username),
        display_name: nonempty(&q.display_name),
        by_domain: nonempty(&q.by_domain),
        email: nonempty(&q.email),
        max_id: page.max_id,
        since_id: page.since_id,
        limit: page.limit,
    };
    accounts_response(&req, &data, filter, nonempty(&q.ip).is_some()).await
}

#[derive(Debug, Deserialize)]
struct AccountsV2 {
    origin: Option<String>,
    status: Option<String>,
    permissions: Option<String>,
    username: Option<String>,
    display_name: Option<String>,
    by_domain: Option<String>,
    email: Option<String>,
    ip: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

async fn list_accounts_v2(
    req: HttpRequest,
    q: web::Query<AccountsV2>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let local = match q.origin.as_deref() {
        Some("local") => Some(true),
        Some("remote") => Some(false),
        None | Some("") => None,
        Some(other) => {
            return Err(ApiError::Unprocessable(format!(
                "origin must be local or remote, not {other:?}"
            )))
        }
    };
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s @ ("active" | "pending" | "disabled" | "silenced" | "suspended")) => {
            Some(s.to_owned())
        }
        Some(other) => {
            return Err(ApiError::Unprocessable(format!(
                "status must be active, pending, disabled, silenced or suspended, not {other:?}"
            )))
        }
    };
    let page = q.page.page(100, 200);
    let filter = AccountFilter {
        local,
        status,
        staff: q.permissions.as_deref() == Some("staff"),
        username: nonempty(&q.username),
        display_name: nonempty(&q.display_name),
        by_domain: nonempty(&q.by_domain),
        email: nonempty(&q.email),
        max_id: page.max_id,
        since_id: page.since_id,
        limit: page.limit,
    };
    accounts_response(&req, &data, filter, nonempty(&q.ip).is_some()).await
}

async fn admin_account_json(data: &Data, id: i64) -> ApiResult<HttpResponse> {
    let urls = data.urls.clone();
    let found = data
        .db
        .read(move |c| {
            let Some(account) = accounts::by_id(c, id).optional()? else {
                return Ok(None);
            };
            let user = users::by_account_id(c, id).optional()?;
            let state = rows::state(c, id)?;
            Ok(Some(
                admin_accounts_view(c, &[(account, user, Some(state))], &urls)?.remove(0),
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(found.ok_or(ApiError::NotFound)?))
}

async fn show_account(path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    admin_account_json(&data, path_id(&path)?).await
}

#[derive(Debug, Deserialize)]
struct ActionForm {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "string_or_number")]
    report_id: Option<String>,
    text: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    send_email_notification: Option<bool>,
}

async fn act(
    auth: &Auth,
    data: &Data,
    target: i64,
    action: AccountAction,
    details: ActionDetails,
) -> ApiResult<()> {
    let staff = staff(auth)?;
    let urls = data.urls.clone();
    data.db
        .write(move |c| {
            if let Err(e) = moderation::act(c, staff, target, action, &details) {
                return Ok(Err(e));
            }
            // A decision on a remote account goes to the moderation cohort (if any).
            let account = kith_storage::accounts::by_id(c, target)?;
            if !account.is_local() {
                use kith_core::domain_policy::Severity;
                use kith_federation::cohort;
                let reason = Some(details.text.as_str());
                match action {
                    AccountAction::Suspend => {
                        cohort::publish_account(c, &urls, &account, Severity::Suspend, reason)?
                    }
                    AccountAction::Silence => {
                        cohort::publish_account(c, &urls, &account, Severity::Silence, reason)?
                    }
                    AccountAction::Unsuspend | AccountAction::Unsilence => {
                        cohort::withdraw(c, &urls, "account", &account.ap_id)?
                    }
                    _ => {}
                }
            }
            Ok(Ok(()))
        })
        .await??;
    data.delivery_wakeup.notify_one();
    Ok(())
}

async fn account_action(
    auth: Auth,
    path: web::Path<String>,
    form: Body<ActionForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let target = path_id(&path)?;
    let form = form.0;
    let action: AccountAction = form.kind.as_deref().unwrap_or("none").parse()?;
    let report_id = match form.report_id.as_deref() {
        None | Some("") => None,
        Some(r) => Some(r.parse().map_err(|_| ApiError::NotFound)?),
    };
    let details = ActionDetails {
        report_id,
        text: form.text.unwrap_or_default(),
        // Kith sends no email; the warning is shown as a notification instead, unless the
        // moderator asked for no notice.
        notify: form.send_email_notification != Some(false),
    };
    act(&auth, &data, target, action, details).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn undo_action(
    auth: Auth,
    id: &str,
    data: Data,
    action: AccountAction,
) -> ApiResult<HttpResponse> {
    let target = path_id(id)?;
    act(&auth, &data, target, action, ActionDetails::default()).await?;
    admin_account_json(&data, target).await
}

async fn enable(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    undo_action(auth, &path, data, AccountAction::Enable).await
}

async fn unsilence(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    undo_action(auth, &path, data, AccountAction::Unsilence).await
}

async fn unsuspend(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    undo_action(auth, &path, data, AccountAction::Unsuspend).await
}

async fn unsensitive(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    undo_action(auth, &path, data, AccountAction::Unsensitive).await
}

async fn decide(auth: Auth, id: &str, data: Data, approve: bool) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let target = path_id(id)?;
    let before = admin_account_json(&data, target).await?;
    data.db
        .write(move |c| Ok(moderation::decide_sign_up(c, staff, target, approve)))
        .await??;
    if approve {
        admin_account_json(&data, target).await
    } else {
        Ok(before)
    }
}

async fn approve(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    decide(auth, &path, data, true).await
}

async fn reject(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    decide(auth, &path, data, false).await
}

async fn delete_account(
    auth: Auth,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let target = path_id(&path)?;
    let before = admin_account_json(&data, target).await?;
    kith_federation::moderation::delete_account(&data, staff, target, None).await?;
    Ok(before)
}

#[derive(Debug, Deserialize)]
struct ReportsQuery {
    #[serde(default, deserialize_with = "lenient_bool")]
    resolved: Option<bool>,
    account_id: Option<String>,
    target_account_id: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

async fn list_reports(
    req: HttpRequest,
    auth: Auth,
    q: web::Query<ReportsQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let q = q.into_inner();
    let page = q.page.page(100, 200);
    let filter = ReportFilter {
        // Mastodon lists open reports unless `resolved` is given.
        resolved: Some(q.resolved.unwrap_or(false)),
        account_id: opt_id(&q.account_id),
        target_account_id: opt_id(&q.target_account_id),
        max_id: page.max_id,
        since_id: page.since_id,
        min_id: page.min_id,
        limit: page.limit,
    };
    let urls = data.urls.clone();
    let (body, ids) = data
        .db
        .read(move |c| {
            let found = rows::list_reports(c, &filter)?;
            let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
            Ok((admin_reports_view(c, &found, me, &urls)?, ids))
        })
        .await?;
    let mut res = HttpResponse::Ok();
    if let Some(link) = link_header(&req, data.urls.base(), &ids) {
        res.insert_header(("Link", link));
    }
    Ok(res.json(body))
}

async fn report_json(data: &Data, me: i64, id: i64) -> ApiResult<HttpResponse> {
    let urls = data.urls.clone();
    let found = data
        .db
        .read(move |c| {
            let Some(r) = rows::report(c, id)? else {
                return Ok(None);
            };
            Ok(admin_reports_view(c, &[r], me, &urls)?.pop())
        })
        .await?;
    Ok(HttpResponse::Ok().json(found.ok_or(ApiError::NotFound)?))
}

async fn show_report(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    report_json(&data, auth.account()?.id, path_id(&path)?).await
}

async fn report_step(
    auth: Auth,
    id: &str,
    data: Data,
    step: &'static str,
) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let report = path_id(id)?;
    data.db
        .write(move |c| {
            Ok(match step {
                "assign" => moderation::assign_report(c, staff, report, true),
                "unassign" => moderation::assign_report(c, staff, report, false),
                "resolve" => moderation::resolve_report(c, staff, report, true),
                _ => moderation::resolve_report(c, staff, report, false),
            })
        })
        .await??;
    report_json(&data, staff.account_id, report).await
}

async fn assign_to_self(
    auth: Auth,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    report_step(auth, &path, data, "assign").await
}

async fn unassign(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    report_step(auth, &path, data, "unassign").await
}

async fn resolve(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    report_step(auth, &path, data, "resolve").await
}

async fn reopen(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    report_step(auth, &path, data, "reopen").await
}

async fn list_notes(path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let report = path_id(&path)?;
    let notes = data
        .db
        .read(move |c| {
            if rows::report(c, report)?.is_none() {
                return Ok(None);
            }
            Ok(Some(rows::notes(c, report)?))
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(notes.iter().map(note_to_api).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    content: Option<String>,
}

async fn add_note(
    auth: Auth,
    path: web::Path<String>,
    form: Body<NoteForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let report = path_id(&path)?;
    let content = form.0.content.unwrap_or_default();
    let note = data
        .db
        .write(move |c| Ok(moderation::add_note(c, staff, report, &content)))
        .await??;
    Ok(HttpResponse::Ok().json(note_to_api(&note)))
}

async fn status_sensitive(
    auth: Auth,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let id = path_id(&path)?;
    data.db
        .write(move |c| {
            if kith_storage::statuses::by_id(c, id).optional()?.is_none() {
                return Ok(Err(kith_core::CoreError::NotFound));
            }
            Ok(moderation::mark_sensitive(c, staff, &[id]))
        })
        .await??;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn delete_status(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let id = path_id(&path)?;
    kith_federation::moderation::delete_status(&data, staff, id).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    account_id: Option<String>,
    max_id: Option<String>,
    limit: Option<String>,
}

async fn audit_log(
    req: HttpRequest,
    q: web::Query<AuditQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let (account, max_id) = (opt_id(&q.account_id), opt_id(&q.max_id));
    let limit = q
        .limit
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(100);
    let entries = data
        .db
        .read(move |c| rows::audit_entries(c, account, max_id, limit))
        .await?;
    let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
    let mut res = HttpResponse::Ok();
    if let Some(link) = link_header(&req, data.urls.base(), &ids) {
        res.insert_header(("Link", link));
    }
    Ok(res.json(entries.iter().map(audit_to_api).collect::<Vec<_>>()))
}

async fn get_registrations(data: Data) -> ApiResult<HttpResponse> {
    let mode = data.db.read(registrations::mode).await?;
    Ok(HttpResponse::Ok().json(json!({ "mode": mode.as_str() })))
}

#[derive(Debug, Deserialize)]
struct ModeForm {
    mode: Option<String>,
}

async fn set_registrations(
    auth: Auth,
    form: Body<ModeForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let mode: Mode = form.0.mode.as_deref().unwrap_or("").parse()?;
    data.db
        .write(move |c| registrations::set_mode(c, staff, mode))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "mode": mode.as_str() })))
}

async fn list_invites(data: Data) -> ApiResult<HttpResponse> {
    let invites = data.db.read(rows::list_invites).await?;
    Ok(HttpResponse::Ok().json(invites.iter().map(invite_to_api).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize)]
struct InviteForm {
    #[serde(default, deserialize_with = "string_or_number")]
    max_uses: Option<String>,
    /// Seconds from now.
    #[serde(default, deserialize_with = "string_or_number")]
    expires_in: Option<String>,
}

async fn create_invite(auth: Auth, form: Body<InviteForm>, data: Data) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let number = |v: &Option<String>, name: &str| -> Result<Option<i64>, ApiError> {
        match v.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| {
                ApiError::Unprocessable(format!("Validation failed: {name} must be a number"))
            }),
        }
    };
    let max_uses = number(&form.0.max_uses, "max_uses")?
        .map(|m| {
            i32::try_from(m).map_err(|_| {
                ApiError::Unprocessable("Validation failed: max_uses is too large".into())
            })
        })
        .transpose()?;
    let expires_at = match number(&form.0.expires_in, "expires_in")? {
        None => None,
        Some(s) if (1..=366 * 86_400).contains(&s) => {
            Some(kith_storage::now() + chrono::Duration::seconds(s))
        }
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "Validation failed: expires_in must be between 1 second and a year".into(),
            ))
        }
    };
    let invite = data
        .db
        .write(move |c| Ok(registrations::create_invite(c, staff, max_uses, expires_at)))
        .await??;
    Ok(HttpResponse::Ok().json(invite_to_api(&invite)))
}

async fn delete_invite(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let staff = staff(&auth)?;
    let id = path_id(&path)?;
    data.db
        .write(move |c| Ok(registrations::delete_invite(c, staff, id)))
        .await??;
    Ok(HttpResponse::Ok().json(json!({})))
}
