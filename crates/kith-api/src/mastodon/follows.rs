//! Following: follow and unfollow, relationships, follow requests, and the lists of followers,
//! followed accounts and an account's posts.

use super::timelines::page_response;
use crate::auth::{Auth, MaybeAuth};
use crate::body::lenient_bool;
use crate::entities::status::{accounts_view, relationship, statuses_view_in};
use crate::error::{ApiError, ApiResult};
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::filters::FilterContext;
use kith_core::types::ActorType;
use kith_federation::{publish, Data};
use kith_storage::accounts::{self, Account};
use kith_storage::{follows, marks, statuses, OptionalExt};
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/accounts/relationships", web::get().to(relationships))
        .route("/v1/accounts/{id}/follow", web::post().to(follow))
        .route("/v1/accounts/{id}/unfollow", web::post().to(unfollow))
        .route("/v1/accounts/{id}/block", web::post().to(block))
        .route("/v1/accounts/{id}/unblock", web::post().to(unblock))
        .route("/v1/accounts/{id}/followers", web::get().to(followers))
        .route("/v1/accounts/{id}/following", web::get().to(following))
        .route(
            "/v1/accounts/{id}/statuses",
            web::get().to(account_statuses),
        )
        .route("/v1/follow_requests", web::get().to(requests))
        .route(
            "/v1/follow_requests/{id}/authorize",
            web::post().to(authorize),
        )
        .route("/v1/follow_requests/{id}/reject", web::post().to(reject));
}

/// An account (not the instance actor) by its API id.
pub(crate) async fn account_by_id(data: &Data, id: &str) -> ApiResult<Account> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    data.db
        .read(move |c| accounts::by_id(c, id).optional())
        .await?
        .filter(|a| ActorType::of(a) != ActorType::Application || a.domain.is_some())
        .ok_or(ApiError::NotFound)
}

async fn relationship_response(data: &Data, me: i64, other: i64) -> ApiResult<HttpResponse> {
    let rel = data.db.read(move |c| relationship(c, me, other)).await?;
    Ok(HttpResponse::Ok().json(rel))
}

async fn follow(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let target = account_by_id(&data, &path).await?;
    let target_id = target.id;
    publish::follow(&data, me.clone(), target).await?;
    relationship_response(&data, me.id, target_id).await
}

async fn unfollow(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let target = account_by_id(&data, &path).await?;
    let target_id = target.id;
    publish::unfollow(&data, me.clone(), target).await?;
    relationship_response(&data, me.id, target_id).await
}

async fn relationships(req: HttpRequest, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    // `id[]=1&id[]=2` and `id=1` both occur.
    let ids: Vec<i64> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "id[]" || k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .take(80)
        .collect();
    let rels = data
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for id in ids {
                if accounts::by_id(c, id).optional()?.is_some() {
                    out.push(relationship(c, me, id)?);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rels))
}

/// A page of accounts, with a `Link` header cut by the given row ids.
pub(crate) async fn account_list(
    req: &HttpRequest,
    data: &Data,
    rows: Vec<(i64, Account)>,
) -> ApiResult<HttpResponse> {
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| {
            let accounts: Vec<Account> = rows.into_iter().map(|(_, a)| a).collect();
            accounts_view(c, &accounts, &urls)
        })
        .await?;
    Ok(paged_json(req, data.urls.base(), &ids, body))
}

/// One page of `side` of the account at `path`.
async fn follow_list(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    data: Data,
    side: follows::Side,
) -> ApiResult<HttpResponse> {
    let account = account_by_id(&data, &path).await?;
    let page = query.page(40, 80);
    let rows = data
        .db
        .read(move |c| follows::list(c, side, account.id, page.max_id, page.limit))
        .await?;
    account_list(&req, &data, rows).await
}

async fn followers(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    follow_list(req, path, query, data, follows::Side::Followers).await
}

async fn following(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    follow_list(req, path, query, data, follows::Side::Following).await
}

/// The query of an account's statuses: a page, or its pinned posts.
#[derive(Debug, Deserialize)]
struct AccountStatusesQuery {
    #[serde(flatten)]
    page: PageQuery,
    #[serde(default, deserialize_with = "lenient_bool")]
    pinned: Option<bool>,
}

async fn account_statuses(
    req: HttpRequest,
    path: web::Path<String>,
    auth: MaybeAuth,
    query: web::Query<AccountStatusesQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let viewer = auth.viewer();
    let account = account_by_id(&data, &path).await?;
    let page = query.page.page(20, 40);
    if query.pinned.unwrap_or(false) {
        // At most `PIN_LIMIT`, one page, no further links.
        let rows = data
            .db
            .read(move |c| marks::pinned(c, account.id, viewer))
            .await?;
        let urls = data.urls.clone();
        let body = data
            .db
            .read(move |c| statuses_view_in(c, &rows, viewer, &urls, FilterContext::Account))
            .await?;
        return Ok(HttpResponse::Ok().json(body));
    }
    let rows = data
        .db
        .read(move |c| statuses::by_account(c, account.id, viewer, page))
        .await?;
    page_response(&req, &data, rows, viewer, FilterContext::Account).await
}

async fn requests(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| {
            let accounts: Vec<Account> = follows::requests(c, me)?
                .into_iter()
                .map(|(_, a)| a)
                .collect();
            accounts_view(c, &accounts, &urls)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn answer(
    path: web::Path<String>,
    auth: Auth,
    data: Data,
    accept: bool,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let follower = account_by_id(&data, &path).await?;
    let follower_id = follower.id;
    publish::answer_request(&data, me.clone(), follower, accept).await?;
    let rel = data
        .db
        .read(move |c| relationship(c, me.id, follower_id))
        .await?;
    Ok(HttpResponse::Ok().json(rel))
}

async fn authorize(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    answer(path, auth, data, true).await
}

async fn reject(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    answer(path, auth, data, false).await
}

async fn block(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let target = account_by_id(&data, &path).await?;
    let target_id = target.id;
    publish::block(&data, me.clone(), target).await?;
    relationship_response(&data, me.id, target_id).await
}

async fn unblock(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let target = account_by_id(&data, &path).await?;
    let target_id = target.id;
    publish::unblock(&data, me.clone(), target).await?;
    relationship_response(&data, me.id, target_id).await
}
