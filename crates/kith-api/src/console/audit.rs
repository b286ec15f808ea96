//! The audit log: every moderator and admin action, newest first, optionally one staff
//! member's, in pages.

use super::reports::names;
use super::{page, when, Frame, Staffed, PAGE_SIZE};
use crate::error::ApiResult;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use kith_federation::Data;
use kith_storage::moderation as rows;
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/audit", web::get().to(show));
}

struct Entry {
    actor: String,
    actor_id: i64,
    action: String,
    target_type: String,
    target_id: String,
    /// A console page about the target, if it has one.
    target_link: Option<String>,
    reason: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    frame: Frame,
    entries: Vec<Entry>,
    older: Option<String>,
    account: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    account_id: Option<String>,
    max_id: Option<String>,
}

fn target_link(target_type: &str, target_id: &str) -> Option<String> {
    let id: i64 = target_id.parse().ok()?;
    match target_type {
        "account" => Some(format!("/admin/accounts/{id}")),
        "report" => Some(format!("/admin/reports/{id}")),
        _ => None,
    }
}

async fn show(who: Staffed, q: web::Query<AuditQuery>, data: Data) -> ApiResult<HttpResponse> {
    let account = q.account_id.as_deref().and_then(|a| a.parse().ok());
    let max_id = q.max_id.as_deref().and_then(|m| m.parse().ok());
    let (entries, map) = data
        .db
        .read(move |c| {
            let entries = rows::audit_entries(c, account, max_id, PAGE_SIZE)?;
            let ids: Vec<i64> = entries.iter().map(|e| e.account_id).collect();
            Ok((entries, names(c, &ids)?))
        })
        .await?;
    let older = (entries.len() as i64 == PAGE_SIZE).then(|| {
        let last = entries.last().map_or(0, |e| e.id);
        match account {
            Some(a) => format!("/admin/audit?account_id={a}&max_id={last}"),
            None => format!("/admin/audit?max_id={last}"),
        }
    });
    let entries = entries
        .into_iter()
        .map(|e| Entry {
            actor: map
                .get(&e.account_id)
                .map_or_else(|| e.account_id.to_string(), |n| n.acct.clone()),
            actor_id: e.account_id,
            target_link: target_link(&e.target_type, &e.target_id),
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            reason: e.reason.unwrap_or_default(),
            created: when(e.created_at),
        })
        .collect();
    page(
        StatusCode::OK,
        &AuditPage {
            frame: Frame::of(&who, &data).await?,
            entries,
            older,
            account,
        },
    )
}
