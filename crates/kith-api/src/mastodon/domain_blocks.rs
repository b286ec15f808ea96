//! Domain policies through the Mastodon admin API: `/api/v1/admin/domain_blocks` (list,
//! create, show, update, delete), `/api/v1/admin/domain_allows` (list, create, show, delete),
//! Kith's own CSV export and import (`/api/v1/admin/domain_blocks/export` and `/import`, the
//! format of Mastodon's blocklist CSV), and the public list `GET /api/v1/instance/domain_blocks`.
//! Admin routes are for moderators and admins (403 for anyone else); the rules themselves are
//! in `kith_core::domain_policy`.

use crate::auth::{Auth, MaybeAuth};
use crate::body::{lenient_bool, Body};
use crate::entities::timestamp;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_core::domain_policy::{self, PolicyInput, Severity};
use kith_federation::Data;
use kith_storage::domain_policies::{self as store, DomainAllow, DomainPolicy};
use kith_storage::{users, OptionalExt};
use serde::{Deserialize, Serialize};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/admin/domain_blocks", web::get().to(list))
        .route("/v1/admin/domain_blocks", web::post().to(create))
        .route("/v1/admin/domain_blocks/export", web::get().to(export))
        .route("/v1/admin/domain_blocks/import", web::post().to(import))
        .route("/v1/admin/domain_blocks/{id}", web::get().to(show))
        .route("/v1/admin/domain_blocks/{id}", web::put().to(update))
        .route("/v1/admin/domain_blocks/{id}", web::delete().to(destroy))
        .route("/v1/admin/domain_allows", web::get().to(list_allows))
        .route("/v1/admin/domain_allows", web::post().to(create_allow))
        .route("/v1/admin/domain_allows/{id}", web::get().to(show_allow))
        .route(
            "/v1/admin/domain_allows/{id}",
            web::delete().to(destroy_allow),
        )
        .route("/v1/instance/domain_blocks", web::get().to(public_list));
}

/// The acting moderator's account id; 403 for an app-only token or a plain user.
async fn moderator(auth: &Auth, data: &Data) -> ApiResult<i64> {
    let id = auth.account()?.id;
    let user = data
        .db
        .read(move |c| users::by_account_id(c, id).optional())
        .await?;
    match user.map(|u| u.role) {
        Some(role) if role == "admin" || role == "moderator" => Ok(id),
        _ => Err(ApiError::Forbidden("This action is not allowed".into())),
    }
}

/// Mastodon's `Admin::DomainBlock`.
#[derive(Debug, Serialize)]
pub(super) struct AdminDomainBlock {
    pub id: String,
    pub domain: String,
    pub digest: String,
    pub created_at: String,
    pub severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

impl From<DomainPolicy> for AdminDomainBlock {
    fn from(p: DomainPolicy) -> Self {
        AdminDomainBlock {
            id: p.id.to_string(),
            digest: kith_core::tokens::digest(&p.domain),
            domain: p.domain,
            created_at: timestamp(p.created_at),
            severity: p.severity,
            reject_media: p.reject_media,
            reject_reports: p.reject_reports,
            private_comment: p.private_comment,
            public_comment: p.public_comment,
            obfuscate: p.obfuscate,
        }
    }
}

/// Mastodon's `Admin::DomainAllow`.
#[derive(Debug, Serialize)]
pub(super) struct AdminDomainAllow {
    pub id: String,
    pub domain: String,
    pub created_at: String,
}

impl From<DomainAllow> for AdminDomainAllow {
    fn from(a: DomainAllow) -> Self {
        AdminDomainAllow {
            id: a.id.to_string(),
            domain: a.domain,
            created_at: timestamp(a.created_at),
        }
    }
}

/// Mastodon's public `DomainBlock`.
#[derive(Debug, Serialize)]
pub(super) struct PublicDomainBlock {
    pub domain: String,
    pub digest: String,
    pub severity: String,
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BlockForm {
    domain: Option<String>,
    severity: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    reject_media: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    reject_reports: Option<bool>,
    private_comment: Option<String>,
    public_comment: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    obfuscate: Option<bool>,
}

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

fn severity(raw: Option<&str>, default: Severity) -> ApiResult<Severity> {
    match raw {
        None => Ok(default),
        Some(s) => Severity::parse(s).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "Validation failed: severity must be suspend, silence or noop, not {s:?}"
            ))
        }),
    }
}

async fn list(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    moderator(&auth, &data).await?;
    let rows = data.db.read(store::list).await?;
    let out: Vec<AdminDomainBlock> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(out))
}

async fn show(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    moderator(&auth, &data).await?;
    let id = id_of(&id)?;
    let row = data.db.read(move |c| store::by_id(c, id)).await?;
    Ok(HttpResponse::Ok().json(AdminDomainBlock::from(row)))
}

async fn create(auth: Auth, data: Data, form: Body<BlockForm>) -> ApiResult<HttpResponse> {
    let actor = moderator(&auth, &data).await?;
    let form = form.0;
    let domain = form.domain.as_deref().ok_or_else(|| {
        ApiError::Unprocessable("Validation failed: Domain can't be blank".into())
    })?;
    let domain = domain_policy::normalize_domain(domain)?;
    let input = PolicyInput {
        domain: domain.clone(),
        severity: severity(form.severity.as_deref(), Severity::Silence)?,
        reject_media: form.reject_media.unwrap_or(false),
        reject_reports: form.reject_reports.unwrap_or(false),
        private_comment: form.private_comment,
        public_comment: form.public_comment,
        obfuscate: form.obfuscate.unwrap_or(false),
    };
    let urls = data.urls.clone();
    let row = data
        .db
        .write(move |c| {
            if store::by_domain(c, &domain).optional()?.is_some() {
                return Ok(None);
            }
            let row = domain_policy::upsert(c, actor, &input)?;
            kith_federation::cohort::publish_domain(c, &urls, &row)?;
            Ok(Some(row))
        })
        .await?;
    data.delivery_wakeup.notify_one();
    match row {
        Some(row) => Ok(HttpResponse::Ok().json(AdminDomainBlock::from(row))),
        None => Err(ApiError::Unprocessable(
            "Validation failed: a block for this domain already exists; update it instead".into(),
        )),
    }
}

async fn update(
    auth: Auth,
    data: Data,
    id: web::Path<String>,
    form: Body<BlockForm>,
) -> ApiResult<HttpResponse> {
    let actor = moderator(&auth, &data).await?;
    let id = id_of(&id)?;
    let form = form.0;
    let sev = match form.severity.as_deref() {
        None => None,
        Some(s) => Some(severity(Some(s), Severity::Noop)?),
    };
    let urls = data.urls.clone();
    let row = data
        .db
        .write(move |c| {
            let old = store::by_id(c, id)?;
            let current = Severity::parse(&old.severity).unwrap_or(Severity::Noop);
            let input = PolicyInput {
                domain: old.domain.clone(),
                severity: sev.unwrap_or(current),
                reject_media: form.reject_media.unwrap_or(old.reject_media),
                reject_reports: form.reject_reports.unwrap_or(old.reject_reports),
                private_comment: form.private_comment.or(old.private_comment),
                public_comment: form.public_comment.or(old.public_comment),
                obfuscate: form.obfuscate.unwrap_or(old.obfuscate),
            };
            let row = domain_policy::upsert(c, actor, &input)?;
            kith_federation::cohort::publish_domain(c, &urls, &row)?;
            Ok(row)
        })
        .await?;
    data.delivery_wakeup.notify_one();
    Ok(HttpResponse::Ok().json(AdminDomainBlock::from(row)))
}

async fn destroy(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let actor = moderator(&auth, &data).await?;
    let id = id_of(&id)?;
    let urls = data.urls.clone();
    data.db
        .write(move |c| {
            let row = domain_policy::remove(c, actor, id)?;
            kith_federation::cohort::withdraw(c, &urls, "domain", &row.domain)
        })
        .await?;
    data.delivery_wakeup.notify_one();
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

async fn list_allows(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    moderator(&auth, &data).await?;
    let rows = data.db.read(store::allows).await?;
    let out: Vec<AdminDomainAllow> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(out))
}

async fn show_allow(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    moderator(&auth, &data).await?;
    let id = id_of(&id)?;
    let row = data.db.read(move |c| store::allow_by_id(c, id)).await?;
    Ok(HttpResponse::Ok().json(AdminDomainAllow::from(row)))
}

#[derive(Debug, Deserialize)]
struct AllowForm {
    domain: Option<String>,
}

async fn create_allow(auth: Auth, data: Data, form: Body<AllowForm>) -> ApiResult<HttpResponse> {
    let actor = moderator(&auth, &data).await?;
    let domain = form.0.domain.ok_or_else(|| {
        ApiError::Unprocessable("Validation failed: Domain can't be blank".into())
    })?;
    let domain = domain_policy::normalize_domain(&domain)?;
    let row = data
        .db
        .write(move |c| domain_policy::allow(c, actor, &domain))
        .await?;
    Ok(HttpResponse::Ok().json(AdminDomainAllow::from(row)))
}

async fn destroy_allow(auth: Auth, data: Data, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let actor = moderator(&auth, &data).await?;
    let id = id_of(&id)?;
    data.db
        .write(move |c| domain_policy::disallow(c, actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// Kith's own: every domain block as Mastodon's blocklist CSV.
async fn export(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    moderator(&auth, &data).await?;
    let rows = data.db.read(store::list).await?;
    let text = domain_policy::export_csv(&rows)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(text))
}

#[derive(Debug, Deserialize)]
struct ImportForm {
    csv: Option<String>,
}

/// Kith's own: imports Mastodon's blocklist CSV (field `csv`), all rows or none. Bad rows are
/// answered with 422 and every bad line's number.
async fn import(auth: Auth, data: Data, form: Body<ImportForm>) -> ApiResult<HttpResponse> {
    let actor = moderator(&auth, &data).await?;
    let text = form
        .0
        .csv
        .ok_or_else(|| ApiError::Unprocessable("Validation failed: csv can't be blank".into()))?;
    let rows = domain_policy::parse_csv(&text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        ApiError::Unprocessable(format!("Validation failed: {}", lines.join("; ")))
    })?;
    let urls = data.urls.clone();
    let stored = data
        .db
        .write(move |c| {
            let stored = domain_policy::import(c, actor, &rows)?;
            for row in &stored {
                kith_federation::cohort::publish_domain(c, &urls, row)?;
            }
            Ok(stored)
        })
        .await?;
    data.delivery_wakeup.notify_one();
    let out: Vec<AdminDomainBlock> = stored.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /api/v1/instance/domain_blocks`: the suspended and limited domains, with obfuscation,
/// shown as the instance's `show_domain_blocks` setting says (`all`, `users`, `disabled`).
async fn public_list(auth: MaybeAuth, data: Data) -> ApiResult<HttpResponse> {
    match data.instance.show_domain_blocks.as_str() {
        "all" => {}
        "users" if auth.0.as_ref().is_some_and(|a| a.account.is_some()) => {}
        "users" => return Err(ApiError::Unauthorized),
        _ => return Err(ApiError::NotFound),
    }
    let rows = data.db.read(store::list).await?;
    let out: Vec<PublicDomainBlock> = rows
        .into_iter()
        .filter(|p| p.severity != "noop")
        .map(|p| PublicDomainBlock {
            domain: domain_policy::public_domain(&p),
            digest: kith_core::tokens::digest(&p.domain),
            severity: p.severity.clone(),
            comment: p.public_comment.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}
