//! Domain policies: the list, adding and editing a policy, removing it, the federation
//! allow-list, and the blocklist CSV in Mastodon's format (export, and import of all rows or
//! none, bad lines named). The rules and the audit entries are `kith_core::domain_policy`'s.

use super::{check_csrf, checked, outcome, page, path_id, when, Frame, Posted, Staffed};
use crate::body::{form_to_json, read_body, read_upload, BodyDeadline, MAX_BODY_BYTES};
use crate::error::{ApiError, ApiResult};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use kith_core::domain_policy::{self, PolicyInput, Severity};
use kith_federation::Data;
use kith_storage::domain_policies::{self as store, DomainPolicy};
use serde::Deserialize;
use serde_json::Value;

/// The largest blocklist file accepted for import.
const MAX_CSV_BYTES: usize = 1024 * 1024;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/domains", web::get().to(list))
        .route("/admin/domains", web::post().to(create))
        .route("/admin/domains/export.csv", web::get().to(export))
        .route("/admin/domains/import", web::post().to(import))
        .route("/admin/domains/allow", web::post().to(allow))
        .route("/admin/domains/allow/{id}/delete", web::post().to(disallow))
        .route("/admin/domains/{id}", web::get().to(edit))
        .route("/admin/domains/{id}", web::post().to(update))
        .route("/admin/domains/{id}/delete", web::post().to(remove));
}

/// A policy as the pages show it.
struct PolicyRow {
    id: i64,
    domain: String,
    severity: String,
    reject_media: bool,
    reject_reports: bool,
    obfuscate: bool,
    private_comment: String,
    public_comment: String,
    updated: String,
}

impl From<DomainPolicy> for PolicyRow {
    fn from(p: DomainPolicy) -> PolicyRow {
        PolicyRow {
            id: p.id,
            domain: p.domain,
            severity: p.severity,
            reject_media: p.reject_media,
            reject_reports: p.reject_reports,
            obfuscate: p.obfuscate,
            private_comment: p.private_comment.unwrap_or_default(),
            public_comment: p.public_comment.unwrap_or_default(),
            updated: when(p.updated_at),
        }
    }
}

struct AllowRow {
    id: i64,
    domain: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/domains.html")]
struct ListPage {
    frame: Frame,
    policies: Vec<PolicyRow>,
    allows: Vec<AllowRow>,
    allowlist_mode: bool,
}

async fn list(who: Staffed, data: Data) -> ApiResult<HttpResponse> {
    let (policies, allows) = data
        .db
        .read(|c| Ok((store::list(c)?, store::allows(c)?)))
        .await?;
    page(
        StatusCode::OK,
        &ListPage {
            frame: Frame::of(&who, &data).await?,
            policies: policies.into_iter().map(Into::into).collect(),
            allows: allows
                .into_iter()
                .map(|a| AllowRow {
                    id: a.id,
                    domain: a.domain,
                    created: when(a.created_at),
                })
                .collect(),
            allowlist_mode: data.instance.allowlist_mode,
        },
    )
}

#[derive(Template)]
#[template(path = "console/domain.html")]
struct EditPage {
    frame: Frame,
    p: PolicyRow,
}

async fn edit(who: Staffed, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let policy = data.db.read(move |c| store::by_id(c, id)).await?;
    page(
        StatusCode::OK,
        &EditPage {
            frame: Frame::of(&who, &data).await?,
            p: policy.into(),
        },
    )
}

#[derive(Debug, Deserialize)]
struct PolicyForm {
    domain: Option<String>,
    severity: Option<String>,
    reject_media: Option<String>,
    reject_reports: Option<String>,
    private_comment: Option<String>,
    public_comment: Option<String>,
    obfuscate: Option<String>,
}

impl PolicyForm {
    /// The policy this form sets on `domain` (normalized already).
    fn input(&self, domain: String) -> Result<PolicyInput, ApiError> {
        let raw = self.severity.as_deref().unwrap_or("suspend");
        let severity = Severity::parse(raw).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "severity must be suspend, silence or noop, not {raw:?}"
            ))
        })?;
        let text = |v: &Option<String>| v.as_deref().map(str::trim).map(str::to_owned);
        Ok(PolicyInput {
            domain,
            severity,
            reject_media: checked(&self.reject_media),
            reject_reports: checked(&self.reject_reports),
            private_comment: text(&self.private_comment),
            public_comment: text(&self.public_comment),
            obfuscate: checked(&self.obfuscate),
        })
    }
}

fn severity_notice(domain: &str, severity: Severity) -> String {
    match severity {
        Severity::Suspend => format!("{domain} is suspended."),
        Severity::Silence => format!("{domain} is limited."),
        Severity::Noop => format!("The policy on {domain} is saved."),
    }
}

/// Adds a policy, or replaces the one the domain has.
async fn create(posted: Posted<PolicyForm>, data: Data) -> ApiResult<HttpResponse> {
    let actor = posted.who.staff.account_id;
    let input = domain_policy::normalize_domain(posted.form.domain.as_deref().unwrap_or(""))
        .map_err(ApiError::from)
        .and_then(|d| posted.form.input(d));
    let input = match input {
        Ok(i) => i,
        Err(e) => return outcome(&data, &posted.who, Err(e), "/admin/domains", "").await,
    };
    let notice = severity_notice(&input.domain, input.severity);
    data.db
        .write(move |c| domain_policy::upsert(c, actor, &input))
        .await?;
    outcome(
        &data,
        &posted.who,
        Ok::<_, ApiError>(()),
        "/admin/domains",
        &notice,
    )
    .await
}

async fn update(
    posted: Posted<PolicyForm>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let actor = posted.who.staff.account_id;
    let old = data.db.read(move |c| store::by_id(c, id)).await?;
    let input = match posted.form.input(old.domain) {
        Ok(i) => i,
        Err(e) => {
            return outcome(
                &data,
                &posted.who,
                Err(e),
                &format!("/admin/domains/{id}"),
                "",
            )
            .await
        }
    };
    let notice = severity_notice(&input.domain, input.severity);
    data.db
        .write(move |c| domain_policy::upsert(c, actor, &input))
        .await?;
    outcome(
        &data,
        &posted.who,
        Ok::<_, ApiError>(()),
        "/admin/domains",
        &notice,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct Empty {}

async fn remove(
    posted: Posted<Empty>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let actor = posted.who.staff.account_id;
    let result = data
        .db
        .write(move |c| domain_policy::remove(c, actor, id))
        .await;
    let notice = match &result {
        Ok(p) => format!("The policy on {} is removed.", p.domain),
        Err(_) => String::new(),
    };
    outcome(
        &data,
        &posted.who,
        result.map(|_| ()),
        "/admin/domains",
        &notice,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct AllowForm {
    domain: Option<String>,
}

async fn allow(posted: Posted<AllowForm>, data: Data) -> ApiResult<HttpResponse> {
    let actor = posted.who.staff.account_id;
    let domain = match domain_policy::normalize_domain(posted.form.domain.as_deref().unwrap_or(""))
    {
        Ok(d) => d,
        Err(e) => return outcome(&data, &posted.who, Err(e), "/admin/domains", "").await,
    };
    let notice = format!("{domain} is on the allow-list.");
    let result = data
        .db
        .write(move |c| domain_policy::allow(c, actor, &domain).map(|_| ()))
        .await;
    outcome(&data, &posted.who, result, "/admin/domains", &notice).await
}

async fn disallow(
    posted: Posted<Empty>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let actor = posted.who.staff.account_id;
    let result = data
        .db
        .write(move |c| domain_policy::disallow(c, actor, id).map(|_| ()))
        .await;
    outcome(
        &data,
        &posted.who,
        result,
        "/admin/domains",
        "Removed from the allow-list.",
    )
    .await
}

/// Every policy as Mastodon's blocklist CSV, as a download.
async fn export(_who: Staffed, data: Data) -> ApiResult<HttpResponse> {
    let rows = data.db.read(store::list).await?;
    let text = domain_policy::export_csv(&rows)?;
    let name = format!(
        "{}-blocklist.csv",
        data.urls.domain().replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
            "_"
        )
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

#[derive(Template)]
#[template(path = "console/import_errors.html")]
struct ImportErrorsPage {
    frame: Frame,
    errors: Vec<String>,
}

/// Imports a blocklist CSV, from an uploaded file (`file`) or pasted text (`csv`): every row
/// or none. Bad rows are listed with their line numbers (422) and nothing is applied.
async fn import(
    who: Staffed,
    req: HttpRequest,
    payload: web::Payload,
    data: Data,
) -> ApiResult<HttpResponse> {
    let deadline = BodyDeadline::of(&req);
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let (mut fields, file) = if is_multipart {
        let upload = read_upload(&req, payload.into_inner(), MAX_CSV_BYTES, deadline).await?;
        (upload.fields, upload.file)
    } else {
        let bytes = read_body(&req, payload.into_inner(), MAX_BODY_BYTES, deadline).await?;
        (form_to_json(&bytes), None)
    };
    if let Err(refused) = check_csrf(&who, &mut fields, &data) {
        return Ok(refused.error_response());
    }
    let text = match file.filter(|f| !f.is_empty()) {
        Some(bytes) => String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::Unprocessable("The file is not UTF-8 text.".into()))?,
        None => match fields.get("csv") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
    };
    if text.contains('\0') {
        return Err(ApiError::Unprocessable(
            "The file may not contain NUL characters.".into(),
        ));
    }
    if text.trim().is_empty() {
        return outcome(
            &data,
            &who,
            Err(ApiError::Unprocessable(
                "Choose a CSV file or paste its text.".into(),
            )),
            "/admin/domains",
            "",
        )
        .await;
    }
    let rows = match domain_policy::parse_csv(&text) {
        Ok(rows) => rows,
        Err(errors) => {
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ImportErrorsPage {
                    frame: Frame::of(&who, &data).await?,
                    errors: errors.iter().map(ToString::to_string).collect(),
                },
            )
        }
    };
    let actor = who.staff.account_id;
    let stored = data
        .db
        .write(move |c| domain_policy::import(c, actor, &rows))
        .await?;
    let notice = format!(
        "Imported {} domain polic{}.",
        stored.len(),
        if stored.len() == 1 { "y" } else { "ies" }
    );
    outcome(
        &data,
        &who,
        Ok::<_, ApiError>(()),
        "/admin/domains",
        &notice,
    )
    .await
}
