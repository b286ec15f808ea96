//! ActivityPub routes beyond actors: inboxes, posts as Notes, and the outbox, followers and
//! following collections.

use crate::body::{read_body, BodyDeadline, ReadError};
use crate::error::{ApiError, ApiResult};
use activitypub_federation::FEDERATION_CONTENT_TYPE;
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::types::ActorType;
use kith_federation::inbox::{self, InboxError, MAX_ACTIVITY_BYTES};
use kith_federation::objects::status::note_out;
use kith_federation::outbound;
use kith_federation::protocol::federation_context;
use kith_federation::Data;
use kith_storage::accounts::{self, Account};
use kith_storage::statuses::{self, Page};
use kith_storage::{follows, OptionalExt};
use serde::Deserialize;
use serde_json::{json, Value};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    for path in ["/inbox", "/users/{username}/inbox", "/actor/inbox"] {
        cfg.route(path, web::post().to(receive));
    }
    cfg.route("/users/{username}/statuses/{id}", web::get().to(note))
        .route("/emojis/{id}", web::get().to(emoji))
        .route("/users/{username}/outbox", web::get().to(outbox))
        .route("/users/{username}/followers", web::get().to(followers))
        .route("/users/{username}/following", web::get().to(following))
        .route(
            "/users/{username}/collections/tags",
            web::get().to(featured_tags),
        );
}

/// An inbox POST. The body is read first (at most 1 MiB, within the body deadline: a slow
/// sender gets 408), and only then is a slot in the bounded queue taken, so slots are held by
/// activities being checked and applied, never by clients still sending. A full queue answers
/// 503 with `Retry-After`, and senders retry later (Mastodon, GoToSocial and Fedify all do).
async fn receive(req: HttpRequest, payload: web::Payload, data: Data) -> HttpResponse {
    let deadline = BodyDeadline::of(&req);
    let body = match read_body(&req, payload.into_inner(), MAX_ACTIVITY_BYTES, deadline).await {
        Ok(body) => body,
        Err(ReadError::TooLarge) => return error_response(InboxError::TooLarge),
        Err(ReadError::TimedOut) => {
            tracing::debug!("inbox body not received in time; answered 408");
            return HttpResponse::RequestTimeout()
                .json(json!({ "error": ReadError::TimedOut.to_string() }));
        }
        Err(e @ ReadError::Broken(_)) => {
            return HttpResponse::BadRequest().json(json!({ "error": e.to_string() }))
        }
    };
    let Ok(_slot) = data.inbox_slots.clone().try_acquire_owned() else {
        tracing::debug!("inbox full; answered 503");
        return HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", inbox::RETRY_AFTER_SECS.to_string()))
            .json(json!({ "error": "busy; retry later" }));
    };
    match inbox::receive(&req, body, &data).await {
        Ok(()) => HttpResponse::Accepted().finish(),
        Err(e) => error_response(e),
    }
}

/// The answer to a refused inbox POST: 400, 401, 413 or 500 (without our details).
fn error_response(e: InboxError) -> HttpResponse {
    let status = match &e {
        InboxError::BadRequest(_) => actix_web::http::StatusCode::BAD_REQUEST,
        InboxError::Unauthorized(_) => actix_web::http::StatusCode::UNAUTHORIZED,
        InboxError::TooLarge => actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        InboxError::Refused(_) => actix_web::http::StatusCode::FORBIDDEN,
        InboxError::Internal(detail) => {
            tracing::error!(%detail, "inbox failed");
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    tracing::info!(status = status.as_u16(), error = %e, "inbox refused a request");
    let message = if status.is_server_error() {
        "internal error".to_owned()
    } else {
        e.to_string()
    };
    HttpResponse::build(status).json(json!({ "error": message }))
}

/// Checks an ActivityPub read: a signature, if given, must verify; in authorized-fetch mode
/// one is required. Returns the signer.
pub(crate) async fn check_fetch(req: &HttpRequest, data: &Data) -> ApiResult<Option<Account>> {
    match inbox::signed_get(req, data).await {
        Ok(None) if data.instance.authorized_fetch => Err(ApiError::Signature(
            "This server requires signed requests".into(),
        )),
        Ok(signer) => Ok(signer),
        Err(e) => Err(ApiError::Signature(e.to_string())),
    }
}

fn activity_json(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(FEDERATION_CONTENT_TYPE)
        .insert_header(("Vary", "Accept"))
        .body(body.to_string())
}

fn with_context(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert("@context".into(), federation_context());
    }
    v
}

/// A local account that is a person (not the instance actor) by its username; 410 Gone while
/// it is suspended.
pub(crate) async fn local_person(data: &Data, username: String) -> ApiResult<Account> {
    let account = data
        .db
        .read(move |c| accounts::local_by_username(c, &username).optional())
        .await?
        .filter(|a| ActorType::of(a) != ActorType::Application)
        .ok_or(ApiError::NotFound)?;
    refuse_suspended(data, account.id).await?;
    Ok(account)
}

/// 410 Gone for a local account that is suspended or deleted (`kith_core::moderation`): its
/// actor, collections and posts are not served while it is.
pub(crate) async fn refuse_suspended(data: &Data, account_id: i64) -> ApiResult<()> {
    let state = data
        .db
        .read(move |c| kith_storage::moderation::state(c, account_id))
        .await?;
    if state.suspended_at.is_some() {
        return Err(ApiError::Gone);
    }
    Ok(())
}

/// A local post as a Note. Only public and unlisted posts are served: followers-only and
/// direct posts reach their audience by delivery, never by an anonymous fetch.
async fn note(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let (username, id) = path.into_inner();
    note_response(&req, &data, username, &id).await
}

/// The Note document of a local post, for its id and for its page's URL asked for as
/// ActivityStreams.
pub(crate) async fn note_response(
    req: &HttpRequest,
    data: &Data,
    username: String,
    id: &str,
) -> ApiResult<HttpResponse> {
    check_fetch(req, data).await?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let author = local_person(data, username).await?;
    let body = data
        .db
        .read(move |c| {
            let Some(s) = statuses::by_id(c, id).optional()? else {
                return Ok(None);
            };
            if s.account_id != author.id
                || s.reblog_of_id.is_some()
                || !statuses::is_visible(c, s.id, None)?
            {
                return Ok(None);
            }
            Ok(Some(note_out(c, &s, &author)?.to_json()))
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(activity_json(with_context(body)))
}

/// One of this instance's custom emoji as an `Emoji` object (the `id` its tags carry), as
/// Mastodon serves `/emojis/ID`.
async fn emoji(req: HttpRequest, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    check_fetch(&req, &data).await?;
    let id: i64 = path.into_inner().parse().map_err(|_| ApiError::NotFound)?;
    let base = data.urls.base().to_string();
    let body = data
        .db
        .read(move |c| kith_storage::custom_emojis::by_id(c, id).optional())
        .await?
        .ok_or(ApiError::NotFound)
        .map(|e| kith_federation::objects::emoji::emoji_out(&e, &base).to_json())?;
    Ok(activity_json(with_context(body)))
}

#[derive(Debug, Deserialize)]
struct CollectionQuery {
    page: Option<String>,
    max_id: Option<String>,
}

fn collection(id: &str, total: i64, first: Option<String>) -> Value {
    let mut v = json!({ "id": id, "type": "OrderedCollection", "totalItems": total });
    if let Some(f) = first {
        v["first"] = json!(f);
    }
    with_context(v)
}

/// One page of a collection paged by `max_id`; `next` is offered when the page is full.
fn collection_page(
    id: &str,
    max_id: Option<i64>,
    items: Vec<Value>,
    last_id: Option<i64>,
    full: bool,
) -> Value {
    let page_id = format!(
        "{id}?page=true{}",
        max_id.map(|m| format!("&max_id={m}")).unwrap_or_default()
    );
    let mut v = json!({ "id": page_id, "type": "OrderedCollectionPage", "partOf": id, "orderedItems": items });
    if let (true, Some(last)) = (full, last_id) {
        v["next"] = json!(format!("{id}?page=true&max_id={last}"));
    }
    with_context(v)
}

const PAGE_SIZE: i64 = 20;

async fn outbox(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CollectionQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    check_fetch(&req, &data).await?;
    let author = local_person(&data, path.into_inner()).await?;
    let id = author.outbox_url.clone().unwrap_or_default();
    let urls = data.urls.clone();
    let max_id = query.max_id.as_deref().and_then(|m| m.parse().ok());
    let wants_page = query.page.is_some() || max_id.is_some();
    let body = data
        .db
        .read(move |c| {
            // Public and unlisted posts only: what anyone may read.
            let page = Page {
                max_id,
                limit: PAGE_SIZE,
                ..Default::default()
            };
            let rows = statuses::by_account(c, author.id, None, page)?;
            if !wants_page {
                let total = accounts::stats(c, author.id)?.statuses_count;
                return Ok(collection(&id, total, Some(format!("{id}?page=true"))));
            }
            let (last_id, full) = (rows.last().map(|r| r.id), rows.len() as i64 == PAGE_SIZE);
            let mut items = Vec::new();
            for s in rows.iter().filter(|s| s.reblog_of_id.is_none()) {
                let note = note_out(c, s, &author)?;
                let mut create = outbound::note_activity(&urls, "Create", &author, &note);
                create.as_object_mut().map(|m| m.remove("@context"));
                items.push(create);
            }
            Ok(collection_page(&id, max_id, items, last_id, full))
        })
        .await?;
    Ok(activity_json(body))
}

async fn people(
    data: Data,
    username: String,
    query: web::Query<CollectionQuery>,
    side: follows::Side,
) -> ApiResult<HttpResponse> {
    let owner = local_person(&data, username).await?;
    let id = match side {
        follows::Side::Followers => owner.followers_url.clone(),
        follows::Side::Following => owner.following_url.clone(),
    }
    .unwrap_or_default();
    let max_id = query.max_id.as_deref().and_then(|m| m.parse().ok());
    let wants_page = query.page.is_some() || max_id.is_some();
    let body = data
        .db
        .read(move |c| {
            let stats = accounts::stats(c, owner.id)?;
            let total = if side == follows::Side::Followers {
                stats.followers_count
            } else {
                stats.following_count
            };
            if !wants_page {
                return Ok(collection(&id, total, Some(format!("{id}?page=true"))));
            }
            let rows = follows::list(c, side, owner.id, max_id, PAGE_SIZE)?;
            let (last_id, full) = (rows.last().map(|r| r.0), rows.len() as i64 == PAGE_SIZE);
            let items = rows.into_iter().map(|(_, a)| json!(a.ap_id)).collect();
            Ok(collection_page(&id, max_id, items, last_id, full))
        })
        .await?;
    Ok(activity_json(body))
}

async fn followers(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CollectionQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    check_fetch(&req, &data).await?;
    people(data, path.into_inner(), query, follows::Side::Followers).await
}

async fn following(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CollectionQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    check_fetch(&req, &data).await?;
    people(data, path.into_inner(), query, follows::Side::Following).await
}

/// The hashtags a person features (Mastodon's `featuredTags`): a `Collection` of `Hashtag`s,
/// at most `MAX_FEATURED_TAGS`, so never paged.
async fn featured_tags(
    req: HttpRequest,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    check_fetch(&req, &data).await?;
    let owner = local_person(&data, path.into_inner()).await?;
    let id = format!("{}/collections/tags", owner.ap_id);
    let urls = data.urls.clone();
    let tags = data
        .db
        .read(move |c| kith_storage::profiles::featured(c, owner.id))
        .await?;
    let items: Vec<Value> = tags
        .iter()
        .map(|t| {
            json!({
                "type": "Hashtag",
                "href": format!("{}tags/{}", urls.base(), t.name),
                "name": format!("#{}", t.name),
            })
        })
        .collect();
    Ok(activity_json(with_context(json!({
        "id": id,
        "type": "Collection",
        "totalItems": items.len(),
        "items": items,
    }))))
}
