//! Direct-message conversations (`/api/v1/conversations`: list, mark read, remove) and muting
//! the conversation a status belongs to (`/api/v1/statuses/:id/mute|unmute`: no notifications
//! about it, enforced by the notification gate).

use super::statuses::{respond_with, visible_status};
use crate::auth::Auth;
use crate::entities::conversation::conversations_view;
use crate::error::{ApiError, ApiResult};
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_federation::Data;
use kith_storage::conversations;
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    // Mastodon.py asks for `/api/v1/conversations/`, with the slash.
    cfg.route("/v1/conversations", web::get().to(list))
        .route("/v1/conversations/", web::get().to(list))
        .route("/v1/conversations/{id}", web::delete().to(remove))
        .route("/v1/conversations/{id}/read", web::post().to(read))
        .route("/v1/statuses/{id}/mute", web::post().to(mute))
        .route("/v1/statuses/{id}/unmute", web::post().to(unmute));
}

fn conversation_id(path: &str) -> ApiResult<i64> {
    path.parse().map_err(|_| ApiError::NotFound)
}

/// The caller's conversations, newest message first, paged by that message's id.
async fn list(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(20, 40);
    let urls = data.urls.clone();
    let (ids, body) = data
        .db
        .read(move |c| {
            let rows = conversations::list(c, me, page)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.last_status_id).collect();
            Ok((ids, conversations_view(c, &rows, me, &urls)?))
        })
        .await?;
    Ok(paged_json(&req, data.urls.base(), &ids, body))
}

/// Marks a conversation read; answers it as it is now.
async fn read(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = conversation_id(&path)?;
    let urls = data.urls.clone();
    let found = data
        .db
        .write(move |c| {
            if !conversations::mark_read(c, me, id)? {
                return Ok(None);
            }
            let row = conversations::by_id(c, me, id)?;
            Ok(conversations_view(c, &[row], me, &urls)?.pop())
        })
        .await?;
    Ok(HttpResponse::Ok().json(found.ok_or(ApiError::NotFound)?))
}

/// Removes a conversation from the caller's list, until a new message comes.
async fn remove(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = conversation_id(&path)?;
    if !data
        .db
        .write(move |c| conversations::remove(c, me, id))
        .await?
    {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok().json(json!({})))
}

/// Mutes the conversation of a status the caller may see (`muted` becomes true).
async fn mute(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let status = visible_status(&data, &path, Some(me)).await?;
    let key = conversations::key_of(&status);
    data.db
        .write(move |c| conversations::mute(c, me, &key))
        .await?;
    respond_with(&data, status, Some(me)).await
}

async fn unmute(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let status = visible_status(&data, &path, Some(me)).await?;
    let key = conversations::key_of(&status);
    data.db
        .write(move |c| conversations::unmute(c, me, &key))
        .await?;
    respond_with(&data, status, Some(me)).await
}
