//! Chronological timelines: home (materialized at write time) and public.

use crate::auth::{Auth, MaybeAuth};
use crate::body::lenient_bool;
use crate::entities::status::statuses_view_in;
use crate::error::ApiResult;
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::filters::FilterContext;
use kith_federation::Data;
use kith_storage::statuses::{self, Status};
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/timelines/home", web::get().to(home))
        .route("/v1/timelines/public", web::get().to(public));
}

/// Converts a page of rows as seen in a filter `context` and adds the `Link` header (made
/// from the rows' ids, so that paging goes on past statuses a filter hid).
pub(crate) async fn page_response(
    req: &HttpRequest,
    data: &Data,
    rows: Vec<Status>,
    viewer: Option<i64>,
    context: FilterContext,
) -> ApiResult<HttpResponse> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| statuses_view_in(c, &rows, viewer, &urls, context))
        .await?;
    Ok(paged_json(req, data.urls.base(), &ids, body))
}

async fn home(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(20, 40);
    let urls = data.urls.clone();
    // The page and its rendering in one trip to the blocking pool.
    let (ids, body) = data
        .db
        .read(move |c| {
            let rows = statuses::home(c, me, page)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let body = statuses_view_in(c, &rows, Some(me), &urls, FilterContext::Home)?;
            Ok((ids, body))
        })
        .await?;
    Ok(paged_json(&req, data.urls.base(), &ids, body))
}

#[derive(Debug, Deserialize)]
struct PublicQuery {
    #[serde(flatten)]
    page: PageQuery,
    #[serde(default, deserialize_with = "lenient_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    remote: Option<bool>,
}

async fn public(
    req: HttpRequest,
    auth: MaybeAuth,
    query: web::Query<PublicQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let viewer = auth.viewer();
    let page = query.page.page(20, 40);
    let only = match (query.local, query.remote) {
        (Some(true), _) => Some(true),
        (_, Some(true)) => Some(false),
        _ => None,
    };
    let rows = data
        .db
        .read(move |c| statuses::public(c, only, viewer, page))
        .await?;
    page_response(&req, &data, rows, viewer, FilterContext::Public).await
}
