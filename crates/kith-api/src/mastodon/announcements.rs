//! Announcements (`/api/v1/announcements`): the current ones with whether the caller read
//! them and the reactions, dismissing one, and adding or removing one's emoji reaction.
//! Admins write them with `kith admin announcement` (`kith_core::announcements`).

use crate::auth::Auth;
use crate::entities::announcement::announcement_to_api;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_core::announcements as core;
use kith_federation::Data;
use kith_storage::announcements as store;
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/announcements", web::get().to(index))
        .route("/v1/announcements/{id}/dismiss", web::post().to(dismiss))
        .route(
            "/v1/announcements/{id}/reactions/{name}",
            web::put().to(react),
        )
        .route(
            "/v1/announcements/{id}/reactions/{name}",
            web::delete().to(unreact),
        );
}

/// The current announcements, newest first.
async fn index(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let body = data
        .db
        .read(move |c| {
            let list = store::current(c, kith_storage::now())?;
            let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
            let read = store::read_among(c, me, &ids)?;
            let reactions = store::reactions_of(c, &ids, me)?;
            Ok(list
                .iter()
                .map(|a| {
                    let mine = reactions
                        .iter()
                        .filter(|(id, ..)| *id == a.id)
                        .map(|(_, name, count, me)| json!({ "name": name, "count": count, "me": me }))
                        .collect();
                    announcement_to_api(a, Some(read.contains(&a.id)), mine)
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

fn announcement_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

async fn dismiss(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = announcement_id(&path)?;
    data.db
        .write(move |c| {
            if store::current_by_id(c, id, kith_storage::now())?.is_none() {
                return Ok(false);
            }
            store::dismiss(c, id, me)?;
            Ok(true)
        })
        .await?
        .then_some(())
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn react(
    path: web::Path<(String, String)>,
    auth: Auth,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let (id, name) = path.into_inner();
    let id = announcement_id(&id)?;
    data.db
        .write(move |c| kith_core::settle(core::react(c, id, me, &name)))
        .await??;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn unreact(
    path: web::Path<(String, String)>,
    auth: Auth,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let (id, name) = path.into_inner();
    let id = announcement_id(&id)?;
    data.db
        .write(move |c| {
            if store::current_by_id(c, id, kith_storage::now())?.is_none() {
                return Ok(false);
            }
            store::unreact(c, id, me, &name)?;
            Ok(true)
        })
        .await?
        .then_some(())
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(json!({})))
}
