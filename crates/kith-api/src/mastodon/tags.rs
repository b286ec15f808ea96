//! Hashtags: `tags/:name` (with whether the viewer follows it), following and unfollowing a
//! tag, the followed-tags list, and the tag timeline. Every name goes through
//! `kith_core::tags::normalize` first, so case, width and accents never make two tags.

use super::notifications::query_list;
use super::timelines::page_response;
use crate::auth::{Auth, MaybeAuth};
use crate::body::lenient_bool;
use crate::entities::tag::{history_since, tag_history, tag_to_api, Tag, TagDay};
use crate::error::{ApiError, ApiResult};
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::filters::FilterContext;
use kith_core::tags::{is_valid, normalize};
use kith_federation::Data;
use kith_storage::statuses::{self, TagFilter};
use kith_storage::tags;
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/tags/{name}", web::get().to(show))
        .route("/v1/tags/{name}/follow", web::post().to(follow))
        .route("/v1/tags/{name}/unfollow", web::post().to(unfollow))
        .route("/v1/followed_tags", web::get().to(followed))
        .route("/v1/timelines/tag/{hashtag}", web::get().to(timeline));
}

/// The normalized name in the path; 404 for one no tag could have (as Mastodon answers).
fn tag_name(path: &str) -> ApiResult<String> {
    let name = normalize(path);
    if is_valid(&name) {
        Ok(name)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The last seven days of each of `names` (`tag_history`), read in one query.
pub(super) async fn histories(
    data: &Data,
    names: Vec<String>,
) -> ApiResult<HashMap<String, Vec<TagDay>>> {
    let today = chrono::Utc::now().date_naive();
    let since = history_since(today);
    let wanted = names.clone();
    let rows = data
        .db
        .read(move |c| tags::uses_since(c, &wanted, since))
        .await?;
    let mut per_tag: HashMap<String, Vec<(chrono::NaiveDateTime, i64)>> = HashMap::new();
    for (name, at, author) in rows {
        per_tag.entry(name).or_default().push((at, author));
    }
    Ok(names
        .into_iter()
        .map(|n| {
            let uses = per_tag.get(&n).map(Vec::as_slice).unwrap_or_default();
            let history = tag_history(today, uses);
            (n, history)
        })
        .collect())
}

/// Tag `name` as `viewer` sees it.
async fn tag_for(data: &Data, name: String, viewer: Option<i64>) -> ApiResult<Tag> {
    let following = match viewer {
        Some(v) => {
            let names = vec![name.clone()];
            Some(
                !data
                    .db
                    .read(move |c| tags::followed_among(c, v, &names))
                    .await?
                    .is_empty(),
            )
        }
        None => None,
    };
    let featuring = match viewer {
        Some(v) => {
            let n = name.clone();
            Some(
                data.db
                    .read(move |c| kith_storage::profiles::featured_named(c, v, &n))
                    .await?
                    .is_some(),
            )
        }
        None => None,
    };
    let history = histories(data, vec![name.clone()])
        .await?
        .remove(&name)
        .unwrap_or_default();
    let mut tag = tag_to_api(&name, following, history, &data.urls);
    tag.featuring = featuring;
    Ok(tag)
}

/// Tag `name` as `viewer` sees it, as a response.
pub(super) async fn tag_response(
    data: &Data,
    name: String,
    viewer: i64,
) -> ApiResult<HttpResponse> {
    let tag = tag_for(data, name, Some(viewer)).await?;
    Ok(HttpResponse::Ok().json(tag))
}

/// Any valid name answers, used or not (Mastodon shows a tag nobody used yet the same way).
async fn show(path: web::Path<String>, auth: MaybeAuth, data: Data) -> ApiResult<HttpResponse> {
    let name = tag_name(&path)?;
    let tag = tag_for(&data, name, auth.viewer()).await?;
    Ok(HttpResponse::Ok().json(tag))
}

async fn follow(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let name = tag_name(&path)?;
    let stored = name.clone();
    data.db.write(move |c| tags::follow(c, me, &stored)).await?;
    Ok(HttpResponse::Ok().json(tag_for(&data, name, Some(me)).await?))
}

async fn unfollow(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let name = tag_name(&path)?;
    let stored = name.clone();
    data.db
        .write(move |c| tags::unfollow(c, me, &stored))
        .await?;
    Ok(HttpResponse::Ok().json(tag_for(&data, name, Some(me)).await?))
}

/// The tags the caller follows, newest follow first, paged by the follow (default 100, at
/// most 200, as Mastodon).
async fn followed(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(100, 200);
    let rows = data.db.read(move |c| tags::followed(c, me, page)).await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let mut history = histories(&data, rows.iter().map(|(_, n)| n.clone()).collect()).await?;
    let body: Vec<Tag> = rows
        .iter()
        .map(|(_, name)| {
            let days = history.remove(name).unwrap_or_default();
            tag_to_api(name, Some(true), days, &data.urls)
        })
        .collect();
    Ok(paged_json(&req, data.urls.base(), &ids, body))
}

#[derive(Debug, Deserialize)]
struct TagTimelineQuery {
    #[serde(flatten)]
    page: PageQuery,
    #[serde(default, deserialize_with = "lenient_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    only_media: Option<bool>,
}

/// Normalized, valid names among `any[]`, `all[]` or `none[]`, each once, at most a few (as
/// Mastodon caps them at four).
fn tag_list(req: &HttpRequest, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in query_list(req, key) {
        let name = normalize(&name);
        if is_valid(&name) && !out.contains(&name) && out.len() < 4 {
            out.push(name);
        }
    }
    out
}

/// Public posts with the tag (or any of `any[]`), all of `all[]` and none of `none[]`,
/// optionally only local, only remote, or only with media; newest first.
async fn timeline(
    req: HttpRequest,
    path: web::Path<String>,
    auth: MaybeAuth,
    query: web::Query<TagTimelineQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let viewer = auth.viewer();
    let page = query.page.page(20, 40);
    // A name no tag could have has no posts (Mastodon answers an empty list too).
    let Ok(main) = tag_name(&path) else {
        return Ok(HttpResponse::Ok().json(Vec::<Tag>::new()));
    };
    let mut any = vec![main];
    for name in tag_list(&req, "any") {
        if !any.contains(&name) {
            any.push(name);
        }
    }
    let filter = TagFilter {
        any,
        all: tag_list(&req, "all"),
        none: tag_list(&req, "none"),
        local: match (query.local, query.remote) {
            (Some(true), _) => Some(true),
            (_, Some(true)) => Some(false),
            _ => None,
        },
        only_media: query.only_media.unwrap_or(false),
    };
    let rows = data
        .db
        .read(move |c| statuses::tagged(c, &filter, viewer, page))
        .await?;
    page_response(&req, &data, rows, viewer, FilterContext::Public).await
}
