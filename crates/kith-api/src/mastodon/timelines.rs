//! Chronological timelines: home (materialized at write time) and public.

use crate::auth::{Auth, MaybeAuth};
use crate::body::lenient_bool;
use crate::entities::status::statuses_view;
use crate::error::ApiResult;
use crate::paging::{link_header, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_federation::Data;
use kith_storage::statuses::{self, Status};
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/timelines/home", web::get().to(home))
        .route("/v1/timelines/public", web::get().to(public));
}

/// Converts a page of rows and adds the `Link` header.
pub(crate) async fn page_response(
    req: &HttpRequest,
    data: &Data,
    rows: Vec<Status>,
    viewer: Option<i64>,
) -> ApiResult<HttpResponse> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| statuses_view(c, &rows, viewer, &urls))
        .await?;
    let mut res = HttpResponse::Ok();
    if let Some(link) = link_header(req, data.urls.base(), &ids) {
        res.insert_header(("Link", link));
    }
    Ok(res.json(body))
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
            Ok((ids, statuses_view(c, &rows, Some(me), &urls)?))
        })
        .await?;
    let mut res = HttpResponse::Ok();
    if let Some(link) = link_header(&req, data.urls.base(), &ids) {
        res.insert_header(("Link", link));
    }
    Ok(res.json(body))
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
    let viewer = auth
        .0
        .as_ref()
        .and_then(|a| a.account.as_ref())
        .map(|a| a.id);
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
    page_response(&req, &data, rows, viewer).await
}
