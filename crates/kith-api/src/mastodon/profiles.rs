//! What a person keeps on their profile and about others: private notes on accounts
//! (`accounts/:id/note`), endorsements (`accounts/:id/endorse`/`unendorse`, the older
//! `pin`/`unpin`, `endorsements`, an account's `endorsements`), featured hashtags
//! (`featured_tags`, their suggestions, an account's `featured_tags`, `tags/:name/feature`/
//! `unfeature`) and `preferences`. The rules are `kith_core::profile`'s and
//! `kith_core::preferences`'.

use super::follows::{account_by_id, account_list};
use crate::auth::Auth;
use crate::body::Body;
use crate::entities::status::relationship;
use crate::entities::tag::tag_to_api;
use crate::error::{ApiError, ApiResult};
use crate::paging::PageQuery;
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::settle;
use kith_federation::Data;
use kith_storage::profiles::{self, FeaturedTag};
use kith_storage::DbConn;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/accounts/{id}/note", web::post().to(note))
        .route("/v1/accounts/{id}/endorse", web::post().to(endorse))
        .route("/v1/accounts/{id}/pin", web::post().to(endorse))
        .route("/v1/accounts/{id}/unendorse", web::post().to(unendorse))
        .route("/v1/accounts/{id}/unpin", web::post().to(unendorse))
        .route(
            "/v1/accounts/{id}/endorsements",
            web::get().to(account_endorsements),
        )
        .route("/v1/endorsements", web::get().to(endorsements))
        .route(
            "/v1/accounts/{id}/featured_tags",
            web::get().to(account_featured_tags),
        )
        .route("/v1/featured_tags", web::get().to(featured_tags))
        .route("/v1/featured_tags", web::post().to(feature))
        .route("/v1/featured_tags/suggestions", web::get().to(suggestions))
        .route("/v1/featured_tags/{id}", web::delete().to(unfeature))
        .route("/v1/tags/{name}/feature", web::post().to(feature_tag))
        .route("/v1/tags/{name}/unfeature", web::post().to(unfeature_tag))
        .route("/v1/preferences", web::get().to(preferences));
}

#[derive(Debug, Default, Deserialize)]
struct NoteForm {
    comment: Option<String>,
}

/// Sets (or, empty or left out, clears) the caller's private note on an account.
async fn note(
    path: web::Path<String>,
    auth: Auth,
    form: Body<NoteForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let target = account_by_id(&data, &path).await?.id;
    let comment = form.0.comment.unwrap_or_default();
    let rel = data
        .db
        .write(move |c| {
            if let Err(e) = settle(kith_core::profile::set_note(c, me, target, &comment))? {
                return Ok(Err(e));
            }
            Ok(Ok(relationship(c, me, target)?))
        })
        .await??;
    Ok(HttpResponse::Ok().json(rel))
}

/// Features an account the caller follows on the caller's profile (422 for one not followed).
async fn endorse(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let target = account_by_id(&data, &path).await?.id;
    let rel = data
        .db
        .write(move |c| {
            if let Err(e) = settle(kith_core::profile::endorse(c, me, target))? {
                return Ok(Err(e));
            }
            Ok(Ok(relationship(c, me, target)?))
        })
        .await??;
    Ok(HttpResponse::Ok().json(rel))
}

async fn unendorse(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let target = account_by_id(&data, &path).await?.id;
    let rel = data
        .db
        .write(move |c| {
            if let Err(e) = settle(kith_core::profile::unendorse(c, me, target))? {
                return Ok(Err(e));
            }
            Ok(Ok(relationship(c, me, target)?))
        })
        .await??;
    Ok(HttpResponse::Ok().json(rel))
}

/// The accounts the caller features, newest first, paged with `Link`.
async fn endorsements(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(40, 80);
    let rows = data
        .db
        .read(move |c| profiles::endorsed(c, me, page))
        .await?;
    account_list(&req, &data, rows).await
}

/// The accounts someone features on their profile (public, as on Mastodon 4.4).
async fn account_endorsements(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let owner = account_by_id(&data, &path).await?.id;
    let page = query.page(40, 80);
    let rows = data
        .db
        .read(move |c| profiles::endorsed(c, owner, page))
        .await?;
    account_list(&req, &data, rows).await
}

/// Mastodon's `FeaturedTag` (`statuses_count` is a string in Mastodon's API, and
/// `last_status_at` a date).
#[derive(Debug, Serialize)]
struct FeaturedTagEntity {
    id: String,
    name: String,
    url: String,
    statuses_count: String,
    last_status_at: Option<String>,
}

/// An account's featured tags with their counts, as entities.
fn featured_view(
    c: &mut DbConn,
    account_id: i64,
    tags: Vec<FeaturedTag>,
    urls: &kith_core::InstanceUrls,
) -> Result<Vec<FeaturedTagEntity>, kith_storage::StorageError> {
    let names: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
    let usage = profiles::tag_usage(c, account_id, &names)?;
    Ok(tags
        .into_iter()
        .map(|t| {
            let used = usage.iter().find(|(n, _, _)| *n == t.name);
            FeaturedTagEntity {
                id: t.id.to_string(),
                url: format!("{}tags/{}", urls.base(), t.name),
                statuses_count: used.map_or(0, |u| u.1).to_string(),
                last_status_at: used
                    .and_then(|u| u.2)
                    .map(|at| at.date().format("%Y-%m-%d").to_string()),
                name: t.name,
            }
        })
        .collect())
}

async fn featured_of(data: &Data, account_id: i64) -> ApiResult<HttpResponse> {
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| {
            let tags = profiles::featured(c, account_id)?;
            featured_view(c, account_id, tags, &urls)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn featured_tags(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    featured_of(&data, me).await
}

async fn account_featured_tags(path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let owner = account_by_id(&data, &path).await?.id;
    featured_of(&data, owner).await
}

#[derive(Debug, Default, Deserialize)]
struct FeatureForm {
    name: Option<String>,
}

/// Features a hashtag (`name`, with or without `#`); at most `MAX_FEATURED_TAGS`.
async fn feature(auth: Auth, form: Body<FeatureForm>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let name = form.0.name.unwrap_or_default();
    let urls = data.urls.clone();
    let entity = data
        .db
        .write(move |c| {
            let tag = match settle(kith_core::profile::feature_tag(c, me, &name))? {
                Ok(tag) => tag,
                Err(e) => return Ok(Err(e)),
            };
            let mut view = featured_view(c, me, vec![tag], &urls)?;
            Ok(Ok(view.pop()))
        })
        .await??
        .ok_or_else(|| ApiError::Internal("featured tag vanished".into()))?;
    Ok(HttpResponse::Ok().json(entity))
}

/// Stops featuring one of the caller's featured tags (404 for one not theirs).
async fn unfeature(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id: i64 = path.parse().map_err(|_| ApiError::NotFound)?;
    let removed = data
        .db
        .write(move |c| profiles::delete_featured(c, me, id))
        .await?;
    if !removed {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok().json(json!({})))
}

/// The hashtags the caller used most in their own posts and does not feature yet.
async fn suggestions(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let names = data
        .db
        .read(move |c| {
            let featured: Vec<String> = profiles::featured(c, me)?
                .into_iter()
                .map(|t| t.name)
                .collect();
            let used = profiles::most_used_tags(c, me, 10 + featured.len() as i64)?;
            Ok(used
                .into_iter()
                .filter(|n| !featured.contains(n))
                .take(10)
                .collect::<Vec<_>>())
        })
        .await?;
    let mut history = super::tags::histories(&data, names.clone()).await?;
    let body: Vec<_> = names
        .iter()
        .map(|n| tag_to_api(n, None, history.remove(n).unwrap_or_default(), &data.urls))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `tags/:name/feature` (Mastodon 4.4): features the tag, answering the `Tag`.
async fn feature_tag(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let raw = path.into_inner();
    let name = kith_core::profile::tag_name(&raw).map_err(|_| ApiError::NotFound)?;
    data.db
        .write(move |c| settle(kith_core::profile::feature_tag(c, me, &raw).map(|_| ())))
        .await??;
    super::tags::tag_response(&data, name, me).await
}

async fn unfeature_tag(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let raw = path.into_inner();
    let name = kith_core::profile::tag_name(&raw).map_err(|_| ApiError::NotFound)?;
    data.db
        .write(move |c| settle(kith_core::profile::unfeature_tag(c, me, &raw)))
        .await??;
    super::tags::tag_response(&data, name, me).await
}

/// The caller's posting and reading preferences.
async fn preferences(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let p = data
        .db
        .read(move |c| kith_core::preferences::of(c, me))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "posting:default:visibility": p.visibility.as_str(),
        "posting:default:sensitive": p.sensitive,
        "posting:default:language": p.language,
        "reading:expand:media": p.expand_media.as_str(),
        "reading:expand:spoilers": p.expand_spoilers,
    })))
}
