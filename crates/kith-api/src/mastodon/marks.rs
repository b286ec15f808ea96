//! What people keep and look back at: bookmarks, the favourites list, pins, who favourited or
//! boosted a post, and a post's source and edit history.

use super::follows::account_list;
use super::statuses::{respond_with, visible_status};
use crate::auth::{Auth, MaybeAuth};
use crate::entities::status::{history_view, statuses_view, StatusSource};
use crate::error::{ApiError, ApiResult};
use crate::paging::{link_header, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_federation::Data;
use kith_storage::statuses::Status;
use kith_storage::{activity, marks, statuses};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/bookmarks", web::get().to(bookmarks))
        .route("/v1/favourites", web::get().to(favourites))
        .route("/v1/statuses/{id}/bookmark", web::post().to(bookmark))
        .route("/v1/statuses/{id}/unbookmark", web::post().to(unbookmark))
        .route("/v1/statuses/{id}/pin", web::post().to(pin))
        .route("/v1/statuses/{id}/unpin", web::post().to(unpin))
        .route(
            "/v1/statuses/{id}/favourited_by",
            web::get().to(favourited_by),
        )
        .route(
            "/v1/statuses/{id}/reblogged_by",
            web::get().to(reblogged_by),
        )
        .route("/v1/statuses/{id}/source", web::get().to(source))
        .route("/v1/statuses/{id}/history", web::get().to(history));
}

/// A page of marked statuses, with a `Link` header cut by the marks' ids.
async fn marked_response(
    req: &HttpRequest,
    data: &Data,
    rows: Vec<(i64, Status)>,
    me: i64,
) -> ApiResult<HttpResponse> {
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let statuses: Vec<Status> = rows.into_iter().map(|(_, s)| s).collect();
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| statuses_view(c, &statuses, Some(me), &urls))
        .await?;
    let mut res = HttpResponse::Ok();
    if let Some(link) = link_header(req, data.urls.base(), &ids) {
        res.insert_header(("Link", link));
    }
    Ok(res.json(body))
}

async fn bookmarks(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(20, 40);
    let rows = data
        .db
        .read(move |c| marks::bookmarked(c, me, page))
        .await?;
    marked_response(&req, &data, rows, me).await
}

async fn favourites(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(20, 40);
    let rows = data
        .db
        .read(move |c| activity::favourited(c, me, page))
        .await?;
    marked_response(&req, &data, rows, me).await
}

async fn bookmark(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let status = visible_status(&data, &path, Some(me)).await?;
    let id = status.id;
    data.db.write(move |c| marks::bookmark(c, me, id)).await?;
    respond_with(&data, status, Some(me)).await
}

async fn unbookmark(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let status = visible_status(&data, &path, Some(me)).await?;
    let id = status.id;
    data.db.write(move |c| marks::unbookmark(c, me, id)).await?;
    respond_with(&data, status, Some(me)).await
}

async fn pin(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let status = visible_status(&data, &path, Some(me)).await?;
    let s = status.clone();
    data.db
        .write(move |c| kith_core::statuses::pin(c, me, &s))
        .await??;
    respond_with(&data, status, Some(me)).await
}

async fn unpin(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let status = visible_status(&data, &path, Some(me)).await?;
    let id = status.id;
    data.db.write(move |c| marks::unpin(c, me, id)).await?;
    respond_with(&data, status, Some(me)).await
}

async fn favourited_by(
    req: HttpRequest,
    path: web::Path<String>,
    auth: MaybeAuth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let status = visible_status(&data, &path, auth.viewer()).await?;
    let page = query.page(40, 80);
    let rows = data
        .db
        .read(move |c| activity::favouriters(c, status.id, page))
        .await?;
    account_list(&req, &data, rows).await
}

async fn reblogged_by(
    req: HttpRequest,
    path: web::Path<String>,
    auth: MaybeAuth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let status = visible_status(&data, &path, auth.viewer()).await?;
    let page = query.page(40, 80);
    let rows = data
        .db
        .read(move |c| statuses::rebloggers(c, status.id, page))
        .await?;
    account_list(&req, &data, rows).await
}

/// The source of one's own post, as Mastodon serves it (to the author only).
async fn source(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let status = visible_status(&data, &path, Some(me)).await?;
    if status.account_id != me {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok().json(StatusSource {
        id: status.id.to_string(),
        text: status
            .source_text
            .unwrap_or_else(|| kith_core::html::html_to_text(&status.content)),
        spoiler_text: status.spoiler_text,
    }))
}

async fn history(path: web::Path<String>, auth: MaybeAuth, data: Data) -> ApiResult<HttpResponse> {
    let status = visible_status(&data, &path, auth.viewer()).await?;
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| history_view(c, &status, &urls))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
