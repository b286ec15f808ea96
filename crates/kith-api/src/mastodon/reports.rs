//! `POST /api/v1/reports`: a user reports an account (and some of its statuses) to the
//! instance's moderators (`kith_core::reports`); with `forward=true` about a remote account, a
//! `Flag` from the instance actor (never naming the reporter) is queued to its server in the
//! same transaction (`kith_federation::flags::forward_report`).

use crate::auth::Auth;
use crate::body::{lenient_bool, string_or_list, string_or_number, Body};
use crate::entities::admin::report_view;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_core::reports::{self, Category, NewReport};
use kith_federation::Data;
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/reports", web::post().to(create));
}

#[derive(Debug, Deserialize)]
struct ReportForm {
    #[serde(default, deserialize_with = "string_or_number")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "string_or_list")]
    status_ids: Option<Vec<String>>,
    comment: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    forward: Option<bool>,
    category: Option<String>,
    #[serde(default, deserialize_with = "string_or_list")]
    rule_ids: Option<Vec<String>>,
}

fn ids(list: Option<Vec<String>>, name: &str) -> Result<Vec<i64>, ApiError> {
    list.unwrap_or_default()
        .iter()
        .map(|s| {
            s.parse().map_err(|_| {
                ApiError::Unprocessable(format!("Validation failed: {name} must be ids"))
            })
        })
        .collect()
}

async fn create(auth: Auth, form: Body<ReportForm>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let form = form.0;
    let target: i64 = form
        .account_id
        .as_deref()
        .and_then(|a| a.parse().ok())
        .ok_or(ApiError::NotFound)?;
    let rule_ids = ids(form.rule_ids, "rule_ids")?;
    // Mastodon: `violation` when rules are named, `other` otherwise.
    let category: Category = match form.category.as_deref() {
        None | Some("") if !rule_ids.is_empty() => Category::Violation,
        None | Some("") => Category::Other,
        Some(c) => c.parse()?,
    };
    let new = NewReport {
        reporter_account_id: me,
        target_account_id: target,
        status_ids: ids(form.status_ids, "status_ids")?,
        category,
        comment: form.comment.unwrap_or_default(),
        rule_ids,
        forward: form.forward.unwrap_or(false),
        origin_domain: None,
        ap_id: None,
    };
    let urls = data.urls.clone();
    let entity = data
        .db
        .write(move |c| {
            Ok(match reports::create(c, new) {
                Ok(r) => {
                    let target = kith_storage::accounts::by_id(c, r.target_account_id)?;
                    if !target.is_local() {
                        let uris: Vec<String> =
                            kith_storage::statuses::by_ids(c, &reports::split_ids(&r.status_ids))?
                                .into_iter()
                                .map(|s| s.ap_id)
                                .collect();
                        if r.forward {
                            kith_federation::flags::forward_report(
                                c, &urls, &target, &uris, &r.comment,
                            )?;
                        }
                        // Shared with the moderation cohort, naming no reporter.
                        kith_federation::cohort::share_report(
                            c, &urls, &target, &uris, &r.comment,
                        )?;
                    }
                    Ok(report_view(c, &r, &urls)?)
                }
                Err(e) => Err(e),
            })
        })
        .await??;
    data.delivery_wakeup.notify_one();
    Ok(HttpResponse::Ok().json(entity))
}
