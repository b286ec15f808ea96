//! The report queue and a report's page: the reported account and posts (remote HTML shown
//! only sanitized), notes, assignment, resolving and reopening, and actions on the account and
//! the posts — each through `kith_core::moderation` / `kith_federation::moderation`, as the
//! admin API does.

use super::{checked, fed, flat, outcome, page, path_id, when, Frame, Posted, Staffed, PAGE_SIZE};
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use kith_core::moderation::{self, AccountAction, ActionDetails, Staff};
use kith_core::reports::split_ids;
use kith_core::CoreError;
use kith_federation::Data;
use kith_storage::accounts::{self, Account};
use kith_storage::moderation::{self as rows, Report, ReportFilter};
use kith_storage::{statuses, DbConn, StorageError};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/reports", web::get().to(queue))
        .route("/admin/reports/{id}", web::get().to(show))
        .route("/admin/reports/{id}/step", web::post().to(step))
        .route("/admin/reports/{id}/note", web::post().to(note))
        .route("/admin/reports/{id}/action", web::post().to(action))
        .route("/admin/reports/{id}/status", web::post().to(status_action));
}

/// An account as the console names it.
pub(super) struct Named {
    pub id: i64,
    pub acct: String,
    pub display_name: String,
}

impl Named {
    pub(super) fn of(a: &Account) -> Named {
        Named {
            id: a.id,
            acct: a.acct(),
            display_name: a.display_name.clone(),
        }
    }

    fn unknown(id: i64) -> Named {
        Named {
            id,
            acct: format!("(account {id})"),
            display_name: String::new(),
        }
    }
}

/// The accounts with these ids, by id, in one query.
pub(super) fn names(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, Named>, StorageError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    Ok(accounts::with_stats_by_ids(conn, &ids)?
        .into_iter()
        .map(|(a, _)| (a.id, Named::of(&a)))
        .collect())
}

fn name(map: &mut HashMap<i64, Named>, id: i64) -> Named {
    map.remove(&id).unwrap_or_else(|| Named::unknown(id))
}

/// One row of the queue.
struct Row {
    id: i64,
    created: String,
    target: Named,
    reporter: String,
    category: String,
    comment: String,
    statuses: usize,
    assigned: Option<String>,
    resolved: bool,
}

#[derive(Template)]
#[template(path = "console/reports.html")]
struct QueuePage {
    frame: Frame,
    resolved: bool,
    rows: Vec<Row>,
    older: Option<String>,
}

#[derive(Debug, Deserialize)]
struct QueueQuery {
    resolved: Option<String>,
    max_id: Option<String>,
}

/// Who filed a report, as the queue shows it: a local reporter's name, or for a `Flag` the
/// sending instance.
fn reporter_of(r: &Report, map: &HashMap<i64, Named>) -> String {
    match &r.origin_domain {
        Some(d) => format!("the server {d}"),
        None => map
            .get(&r.account_id)
            .map_or_else(|| format!("account {}", r.account_id), |n| n.acct.clone()),
    }
}

async fn queue(who: Staffed, q: web::Query<QueueQuery>, data: Data) -> ApiResult<HttpResponse> {
    let resolved = checked(&q.resolved);
    let filter = ReportFilter {
        resolved: Some(resolved),
        max_id: q.max_id.as_deref().and_then(|m| m.parse().ok()),
        limit: PAGE_SIZE,
        ..ReportFilter::default()
    };
    let rows = data
        .db
        .read(move |c| {
            let reports = rows::list_reports(c, &filter)?;
            let mut ids = Vec::new();
            for r in &reports {
                ids.extend([r.account_id, r.target_account_id]);
                ids.extend(r.assigned_account_id);
            }
            let mut map = names(c, &ids)?;
            let mut out = Vec::new();
            for r in reports {
                let reporter = reporter_of(&r, &map);
                let assigned = r.assigned_account_id.map(|a| {
                    map.get(&a)
                        .map_or_else(|| a.to_string(), |n| n.acct.clone())
                });
                out.push(Row {
                    id: r.id,
                    created: when(r.created_at),
                    target: name(&mut map, r.target_account_id),
                    reporter,
                    category: r.category.clone(),
                    comment: r.comment.chars().take(140).collect(),
                    statuses: split_ids(&r.status_ids).len(),
                    assigned,
                    resolved: r.action_taken_at.is_some(),
                });
            }
            Ok(out)
        })
        .await?;
    let older = (rows.len() as i64 == PAGE_SIZE).then(|| {
        let last = rows.last().map_or(0, |r| r.id);
        format!(
            "/admin/reports?{}max_id={last}",
            if resolved { "resolved=1&" } else { "" }
        )
    });
    page(
        StatusCode::OK,
        &QueuePage {
            frame: Frame::of(&who, &data).await?,
            resolved,
            rows,
            older,
        },
    )
}

/// A reported post as the report page shows it.
struct Post {
    id: i64,
    /// Sanitized HTML (remote posts are sanitized on arrival; this is done again here).
    content: String,
    spoiler_text: String,
    sensitive: bool,
    visibility: String,
    created: String,
    /// An http(s) link to the original, if it has one.
    link: Option<String>,
}

struct NoteRow {
    author: String,
    content: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/report.html")]
struct ReportPage {
    frame: Frame,
    r: ReportView,
}

/// What the report page shows of the report.
struct ReportView {
    id: i64,
    created: String,
    category: String,
    comment: String,
    rule_ids: String,
    forwarded: bool,
    reporter: String,
    target: Named,
    target_state: Vec<&'static str>,
    target_local: bool,
    assigned: Option<String>,
    assigned_to_me: bool,
    resolved: Option<String>,
    posts: Vec<Post>,
    missing_posts: usize,
    notes: Vec<NoteRow>,
}

/// Moderation state words for an account (empty: nothing set).
pub(super) fn state_words(s: &rows::AccountModeration) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !s.approved {
        out.push("pending approval");
    }
    if s.deleted_at.is_some() {
        out.push("deleted");
    } else if s.suspended_at.is_some() {
        out.push("suspended");
    }
    if s.silenced_at.is_some() {
        out.push("limited");
    }
    if s.disabled_at.is_some() {
        out.push("login disabled");
    }
    if s.sensitized_at.is_some() {
        out.push("media sensitive");
    }
    out
}

/// Only web links are made clickable.
pub(super) fn web_link(url: Option<&str>) -> Option<String> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_owned)
}

async fn show(who: Staffed, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let me = who.staff.account_id;
    let found = data
        .db
        .read(move |c| {
            let Some(r) = rows::report(c, id)? else {
                return Ok(None);
            };
            let notes = rows::notes(c, id)?;
            let mut ids = vec![r.account_id, r.target_account_id];
            ids.extend(r.assigned_account_id);
            ids.extend(r.action_taken_by_account_id);
            ids.extend(notes.iter().map(|n| n.account_id));
            let mut map = names(c, &ids)?;
            let wanted = split_ids(&r.status_ids);
            let found = statuses::by_ids(c, &wanted)?;
            let posts: Vec<Post> = found
                .iter()
                .map(|s| Post {
                    id: s.id,
                    content: kith_core::html::sanitize_remote(&s.content),
                    spoiler_text: s.spoiler_text.clone(),
                    sensitive: s.sensitive,
                    visibility: s.visibility.clone(),
                    created: when(s.created_at),
                    link: web_link(s.url.as_deref().or(Some(&s.ap_id))),
                })
                .collect();
            let target_state = state_words(&rows::state(c, r.target_account_id)?);
            let target_local = accounts::by_id(c, r.target_account_id)
                .map(|a| a.is_local())
                .unwrap_or(false);
            let notes = notes
                .into_iter()
                .map(|n| NoteRow {
                    author: map
                        .get(&n.account_id)
                        .map_or_else(|| n.account_id.to_string(), |a| a.acct.clone()),
                    content: n.content,
                    created: when(n.created_at),
                })
                .collect();
            let acct = |map: &HashMap<i64, Named>, a: i64| {
                map.get(&a)
                    .map_or_else(|| a.to_string(), |n| n.acct.clone())
            };
            Ok(Some(ReportView {
                id: r.id,
                created: when(r.created_at),
                category: r.category.clone(),
                comment: r.comment.clone(),
                rule_ids: r.rule_ids.clone(),
                forwarded: r.forward,
                reporter: reporter_of(&r, &map),
                assigned: r.assigned_account_id.map(|a| acct(&map, a)),
                assigned_to_me: r.assigned_account_id == Some(me),
                resolved: r.action_taken_at.map(|t| {
                    let by = r
                        .action_taken_by_account_id
                        .map(|a| acct(&map, a))
                        .unwrap_or_default();
                    format!("{} by {by}", when(t))
                }),
                target: name(&mut map, r.target_account_id),
                target_state,
                target_local,
                missing_posts: wanted.len().saturating_sub(posts.len()),
                posts,
                notes,
            }))
        })
        .await?;
    let r = found.ok_or(ApiError::NotFound)?;
    page(
        StatusCode::OK,
        &ReportPage {
            frame: Frame::of(&who, &data).await?,
            r,
        },
    )
}

fn back_to(id: i64) -> String {
    format!("/admin/reports/{id}")
}

#[derive(Debug, Deserialize)]
struct StepForm {
    /// `assign`, `unassign`, `resolve` or `reopen`.
    step: Option<String>,
}

async fn step(
    posted: Posted<StepForm>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let staff = posted.who.staff;
    let step = posted.form.step.unwrap_or_default();
    type Op = fn(&mut DbConn, Staff, i64) -> Result<(), CoreError>;
    let (notice, op): (&str, Op) = match step.as_str() {
        "assign" => ("Assigned to you.", |c, s, r| {
            moderation::assign_report(c, s, r, true)
        }),
        "unassign" => ("Unassigned.", |c, s, r| {
            moderation::assign_report(c, s, r, false)
        }),
        "resolve" => ("Report resolved.", |c, s, r| {
            moderation::resolve_report(c, s, r, true)
        }),
        "reopen" => ("Report reopened.", |c, s, r| {
            moderation::resolve_report(c, s, r, false)
        }),
        _ => {
            let refused = Err(ApiError::Unprocessable(
                "step must be assign, unassign, resolve or reopen".into(),
            ));
            return outcome(&data, &posted.who, refused, &back_to(id), "").await;
        }
    };
    let result = flat(data.db.write(move |c| Ok(op(c, staff, id))).await);
    outcome(&data, &posted.who, result, &back_to(id), notice).await
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    content: Option<String>,
}

async fn note(
    posted: Posted<NoteForm>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let staff = posted.who.staff;
    let content = posted.form.content.unwrap_or_default();
    let result = flat(
        data.db
            .write(move |c| Ok(moderation::add_note(c, staff, id, &content).map(|_| ())))
            .await,
    );
    outcome(&data, &posted.who, result, &back_to(id), "Note added.").await
}

#[derive(Debug, Deserialize)]
pub(super) struct ActionForm {
    /// `none` (a warning), `sensitive`, `silence`, `suspend`, `disable`, or the undoing ones.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub text: Option<String>,
    /// Checkbox: tell the account (a local one) of the warning.
    pub notify: Option<String>,
}

/// The notice shown after an account action.
pub(super) fn action_notice(action: AccountAction) -> &'static str {
    match action {
        AccountAction::Warn => "Warning sent.",
        AccountAction::Sensitive => "The account's media is now marked sensitive.",
        AccountAction::Unsensitive => "The account's media is no longer forced sensitive.",
        AccountAction::Disable => "The account's login is disabled.",
        AccountAction::Enable => "The account's login is enabled again.",
        AccountAction::Silence => "The account is limited.",
        AccountAction::Unsilence => "The account is no longer limited.",
        AccountAction::Suspend => "The account is suspended.",
        AccountAction::Unsuspend => "The account is no longer suspended.",
    }
}

/// An action on the reported account that answers the report (and so resolves it).
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
            report_id: Some(id),
            text: form.text.unwrap_or_default(),
            notify: checked(&form.notify),
        };
        flat(
            data.db
                .write(move |c| {
                    let Some(report) = rows::report(c, id)? else {
                        return Ok(Err(CoreError::NotFound));
                    };
                    Ok(moderation::act(
                        c,
                        staff,
                        report.target_account_id,
                        act,
                        &details,
                    ))
                })
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
struct StatusForm {
    status_id: Option<String>,
    /// `sensitive` or `delete`.
    op: Option<String>,
}

/// Marks one of the reported posts sensitive, or deletes it (a local one's `Delete` goes out).
async fn status_action(
    posted: Posted<StatusForm>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let staff = posted.who.staff;
    let form = posted.form;
    let status_id = form
        .status_id
        .as_deref()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or(ApiError::NotFound)?;
    // Only posts the report names are acted on from its page.
    let named = data
        .db
        .read(move |c| Ok(rows::report(c, id)?.map(|r| split_ids(&r.status_ids))))
        .await?
        .ok_or(ApiError::NotFound)?;
    if !named.contains(&status_id) {
        return outcome(
            &data,
            &posted.who,
            Err(ApiError::NotFound),
            &back_to(id),
            "",
        )
        .await;
    }
    let (result, notice) = match form.op.as_deref() {
        Some("sensitive") => (
            flat(
                data.db
                    .write(move |c| {
                        if statuses::by_ids(c, &[status_id])?.is_empty() {
                            return Ok(Err(CoreError::NotFound));
                        }
                        Ok(moderation::mark_sensitive(c, staff, &[status_id]))
                    })
                    .await,
            ),
            "The post is marked sensitive.",
        ),
        Some("delete") => (
            fed(kith_federation::moderation::delete_status(&data, staff, status_id).await),
            "The post is deleted.",
        ),
        _ => {
            let refused = Err(ApiError::Unprocessable(
                "op must be sensitive or delete".into(),
            ));
            return outcome(&data, &posted.who, refused, &back_to(id), "").await;
        }
    };
    outcome(&data, &posted.who, result, &back_to(id), notice).await
}
