//! Discovery and ActivityPub routes: WebFinger, host-meta, NodeInfo, OAuth server metadata,
//! actor documents, and `/health`.

use crate::error::{ApiError, ApiResult};
use crate::pages;
use activitypub_federation::traits::Object;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use kith_federation::objects::account::ApAccount;
use kith_federation::protocol::federation_context;
use kith_federation::webfinger::{self, WebfingerError};
use kith_federation::{nodeinfo, Data};
use kith_storage::accounts;
use kith_storage::OptionalExt;
use serde::Deserialize;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/.well-known/webfinger", web::get().to(webfinger_route))
        .route("/.well-known/host-meta", web::get().to(host_meta))
        .route("/.well-known/nodeinfo", web::get().to(nodeinfo_discovery))
        .route("/nodeinfo/{version}", web::get().to(nodeinfo_document))
        .route("/users/{username}", web::get().to(actor))
        .route("/actor", web::get().to(instance_actor));
}

async fn health(data: Data) -> HttpResponse {
    match data.db.read(accounts::count_local_people).await {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "database unavailable" }))
        }
    }
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger_route(query: web::Query<WebfingerQuery>, data: Data) -> ApiResult<HttpResponse> {
    let resource = query
        .resource
        .as_deref()
        .ok_or_else(|| ApiError::BadRequest("resource parameter is required".into()))?;
    match webfinger::respond(resource, &data).await {
        Ok(doc) => Ok(HttpResponse::Ok()
            .content_type("application/jrd+json; charset=utf-8")
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(doc)),
        Err(WebfingerError::Malformed(why)) => Err(ApiError::BadRequest(why)),
        Err(WebfingerError::NotFound) => Err(ApiError::NotFound),
        Err(WebfingerError::Internal(e)) => Err(e.into()),
    }
}

async fn host_meta(data: Data) -> HttpResponse {
    let template = format!("{}.well-known/webfinger?resource={{uri}}", data.urls.base());
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        kith_core::html::escape(&template)
    );
    HttpResponse::Ok()
        .content_type("application/xrd+xml; charset=utf-8")
        .body(xml)
}

async fn nodeinfo_discovery(data: Data) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(nodeinfo::discovery(data.urls.base()))
}

async fn nodeinfo_document(path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let version = path.into_inner();
    let version = version.strip_suffix(".json").unwrap_or(&version);
    let s = kith_core::stats::instance_stats(&data.db).await?;
    let usage = nodeinfo::Usage {
        users_total: s.users,
        active_month: s.active_month,
        active_halfyear: s.active_halfyear,
        local_posts: s.local_posts,
    };
    let doc = nodeinfo::document(version, &data.instance, usage).ok_or(ApiError::NotFound)?;
    let profile = format!("http://nodeinfo.diaspora.software/ns/schema/{version}#");
    Ok(HttpResponse::Ok()
        .content_type(format!("application/json; profile=\"{profile}\""))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(doc))
}

/// Whether the client asked for ActivityStreams rather than HTML.
pub(crate) fn wants_activity_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.contains("application/activity+json") || accept.contains("application/ld+json")
        })
}

async fn actor(req: HttpRequest, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let username = path.into_inner();
    let account = data
        .db
        .read(move |c| accounts::local_by_username(c, &username).optional())
        .await?
        .filter(|a| a.actor_type != "Application")
        .ok_or(ApiError::NotFound)?;
    crate::activitypub::refuse_suspended(&data, account.id).await?;
    if !wants_activity_json(&req) {
        return pages::profile_page(&account, &data).await;
    }
    crate::activitypub::check_fetch(&req, &data).await?;
    actor_response(account, &data).await
}

async fn instance_actor(data: Data) -> ApiResult<HttpResponse> {
    let id = data.urls.instance_actor().to_string();
    let account = data.db.read(move |c| accounts::by_ap_id(c, &id)).await?;
    actor_response(account, &data).await
}

async fn actor_response(account: accounts::Account, data: &Data) -> ApiResult<HttpResponse> {
    let res = ApAccount::new(account)?
        .http_response(&federation_context(), data)
        .await?;
    Ok(res)
}
