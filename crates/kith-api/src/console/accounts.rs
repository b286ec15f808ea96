//! Accounts: search (by name, `user@domain`, origin and state), an account's page (its state,
//! warnings and the reports about it) and the actions on it — warn, limit, suspend, mark
//! sensitive, disable login, their undoing, and deletion — through `kith_core::moderation`
//! and `kith_federation::moderation`, exactly as the admin API takes them.

use super::reports::{action_notice, names, state_words, web_link, ActionForm, Named};
use super::{checked, fed, flat, outcome, page, path_id, when, Frame, Posted, Staffed, PAGE_SIZE};
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use kith_core::moderation::{self, AccountAction, ActionDetails};
use kith_federation::Data;
use kith_storage::moderation::{self as rows, AccountFilter, ReportFilter};
use kith_storage::{accounts, users, OptionalExt};
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/accounts", web::get().to(search))
        .route("/admin/accounts/{id}", web::get().to(show))
        .route("/admin/accounts/{id}/action", web::post().to(action))
        .route("/admin/accounts/{id}/delete", web::post().to(delete));
}

/// One row of the account list.
struct Row {
    id: i64,
    acct: String,
    display_name: String,
    role: Option<String>,
    state: Vec<&'static str>,
    created: String,
}

#[derive(Template)]
#[template(path = "console/accounts.html")]
struct SearchPage {
    frame: Frame,
    q: String,
    origin: String,
    status: String,
    rows: Vec<Row>,
    older: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    /// `local`, `remote` or empty.
    origin: Option<String>,
    /// `active`, `pending`, `disabled`, `silenced`, `suspended` or empty.
    status: Option<String>,
    max_id: Option<String>,
}

/// The admin account filter for a search box: `name`, `@name@domain`, `name@domain`, or
/// `@domain` alone.
fn filter_for(q: &SearchQuery) -> AccountFilter {
    let text = q.q.as_deref().unwrap_or("").trim().trim_start_matches('@');
    let (username, domain) = match text.split_once('@') {
        Some((u, d)) => (u, Some(d)),
        None => (text, None),
    };
    let local = match q.origin.as_deref() {
        Some("local") => Some(true),
        Some("remote") => Some(false),
        _ => None,
    };
    let status = q
        .status
        .as_deref()
        .filter(|s| ["active", "pending", "disabled", "silenced", "suspended"].contains(s))
        .map(str::to_owned);
    AccountFilter {
        local,
        status,
        username: Some(username.to_owned()).filter(|u| !u.is_empty()),
        by_domain: domain.filter(|d| !d.is_empty()).map(str::to_owned),
        max_id: q.max_id.as_deref().and_then(|m| m.parse().ok()),
        limit: PAGE_SIZE,
        ..AccountFilter::default()
    }
}

async fn search(who: Staffed, q: web::Query<SearchQuery>, data: Data) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let filter = filter_for(&q);
    let found = data
        .db
        .read(move |c| rows::admin_accounts(c, &filter))
        .await?;
    let rows: Vec<Row> = found
        .into_iter()
        .map(|(a, user, state)| Row {
            id: a.id,
            acct: a.acct(),
            display_name: a.display_name.clone(),
            role: user.map(|u| u.role).filter(|r| r != "user"),
            state: state.as_ref().map(state_words).unwrap_or_default(),
            created: when(a.created_at),
        })
        .collect();
    let older = (rows.len() as i64 == PAGE_SIZE).then(|| {
        let pairs = [
            ("q", q.q.clone().unwrap_or_default()),
            ("origin", q.origin.clone().unwrap_or_default()),
            ("status", q.status.clone().unwrap_or_default()),
            ("max_id", rows.last().map_or(0, |r| r.id).to_string()),
        ];
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("/admin/accounts?{query}")
    });
    page(
        StatusCode::OK,
        &SearchPage {
            frame: Frame::of(&who, &data).await?,
            q: q.q.unwrap_or_default(),
            origin: q.origin.unwrap_or_default(),
            status: q.status.unwrap_or_default(),
            rows,
            older,
        },
    )
}

struct Warning {
    action: String,
    text: String,
    by: String,
    created: String,
}

struct ReportRow {
    id: i64,
    category: String,
    created: String,
    resolved: bool,
}

/// What the account page shows.
struct AccountView {
    id: i64,
    acct: String,
    display_name: String,
    /// Sanitized HTML.
    note: String,
    link: Option<String>,
    local: bool,
    role: Option<String>,
    email: Option<String>,
    created: String,
    state: Vec<&'static str>,
    suspended: bool,
    silenced: bool,
    sensitized: bool,
    disabled: bool,
    deleted: bool,
    sign_up_reason: Option<String>,
    /// Whether the signed-in staff member may act on it (a moderator may not on an admin,
    /// nobody on themselves); the server checks again on every form.
    may_act: bool,
    warnings: Vec<Warning>,
    reports: Vec<ReportRow>,
}

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    frame: Frame,
    a: AccountView,
}

async fn show(who: Staffed, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let staff = who.staff;
    let view = data
        .db
        .read(move |c| {
            let Some(account) = accounts::by_id(c, id).optional()? else {
                return Ok(None);
            };
            let user = users::by_account_id(c, id).optional()?;
            let state = rows::state(c, id)?;
            let warnings = rows::warnings_for(c, id)?;
            let reports = rows::list_reports(
                c,
                &ReportFilter {
                    target_account_id: Some(id),
                    limit: PAGE_SIZE,
                    ..ReportFilter::default()
                },
            )?;
            let map = names(
                c,
                &warnings.iter().map(|w| w.account_id).collect::<Vec<_>>(),
            )?;
            let may_act = moderation::check_may_act_on(c, staff, id).is_ok();
            Ok(Some(AccountView {
                id,
                acct: account.acct(),
                display_name: account.display_name.clone(),
                note: kith_core::html::sanitize_remote(&account.note),
                link: web_link(account.url.as_deref().or(Some(&account.ap_id))),
                local: account.is_local(),
                role: user.as_ref().map(|u| u.role.clone()),
                email: user.and_then(|u| u.email),
                created: when(account.created_at),
                state: state_words(&state),
                suspended: state.suspended_at.is_some(),
                silenced: state.silenced_at.is_some(),
                sensitized: state.sensitized_at.is_some(),
                disabled: state.disabled_at.is_some(),
                deleted: state.deleted_at.is_some(),
                sign_up_reason: state.sign_up_reason.clone(),
                may_act,
                warnings: warnings
                    .into_iter()
                    .map(|w| Warning {
                        by: map
                            .get(&w.account_id)
                            .map_or_else(|| w.account_id.to_string(), |n: &Named| n.acct.clone()),
                        action: w.action,
                        text: w.text,
                        created: when(w.created_at),
                    })
                    .collect(),
                reports: reports
                    .into_iter()
                    .map(|r| ReportRow {
                        id: r.id,
                        category: r.category,
                        created: when(r.created_at),
                        resolved: r.action_taken_at.is_some(),
                    })
                    .collect(),
            }))
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    page(
        StatusCode::OK,
        &AccountPage {
            frame: Frame::of(&who, &data).await?,
            a: view,
        },
    )
}

fn back_to(id: i64) -> String {
    format!("/admin/accounts/{id}")
}

async fn action(
    posted: Posted<ActionForm>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let staff = posted.who.staff;
    let form = posted.form;
    let result = async {
        let act: AccountAction = form.kind.as_deref().unwrap_or("none").parse()?;
        let details = ActionDetails {
            report_id: None,
            text: form.text.unwrap_or_default(),
            notify: checked(&form.notify),
        };
        flat(
            data.db
                .write(move |c| Ok(moderation::act(c, staff, id, act, &details)))
                .await,
        )?;
        Ok::<_, ApiError>(action_notice(act))
    }
    .await;
    match result {
        Ok(notice) => {
            outcome(
                &data,
                &posted.who,
                Ok::<_, ApiError>(()),
                &back_to(id),
                notice,
            )
            .await
        }
        Err(e) => outcome(&data, &posted.who, Err(e), &back_to(id), "").await,
    }
}

#[derive(Debug, Deserialize)]
struct DeleteForm {
    /// Checkbox: the moderator confirms.
    confirm: Option<String>,
    reason: Option<String>,
}

/// Deletes the account: its data goes and, for a local one, its followers' servers get
/// `Delete` of the actor (`kith_federation::moderation::delete_account`).
async fn delete(
    posted: Posted<DeleteForm>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let staff = posted.who.staff;
    let form = posted.form;
    if !checked(&form.confirm) {
        return outcome(
            &data,
            &posted.who,
            Err(ApiError::Unprocessable(
                "Tick the box to confirm the deletion.".into(),
            )),
            &back_to(id),
            "",
        )
        .await;
    }
    let reason = form.reason.filter(|r| !r.trim().is_empty());
    let result = fed(kith_federation::moderation::delete_account(&data, staff, id, reason).await);
    // A deleted remote account has no page any more: go back to the list.
    outcome(
        &data,
        &posted.who,
        result,
        "/admin/accounts",
        "The account is deleted.",
    )
    .await
}
