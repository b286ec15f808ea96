//! Posting, reading, editing and deleting statuses; favourites and boosts; threads.

use crate::auth::{Auth, MaybeAuth};
use crate::body::{lenient_bool, Body};
use crate::entities::instance::MAX_STATUS_CHARS;
use crate::entities::status::{apply_filters, status_view, statuses_view_in};
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::filters::FilterContext;
use kith_core::polls::NewPoll;
use kith_core::types::Visibility;
use kith_federation::publish::{self, NewPost};
use kith_federation::Data;
use kith_storage::accounts::Account;
use kith_storage::statuses::{self, Status};
use kith_storage::OptionalExt;
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/statuses", web::post().to(create))
        .route("/v1/statuses/{id}", web::get().to(show))
        .route("/v1/statuses/{id}", web::delete().to(remove))
        .route("/v1/statuses/{id}", web::put().to(edit))
        .route("/v1/statuses/{id}/context", web::get().to(context))
        .route("/v1/statuses/{id}/favourite", web::post().to(favourite))
        .route("/v1/statuses/{id}/unfavourite", web::post().to(unfavourite))
        .route("/v1/statuses/{id}/reblog", web::post().to(reblog))
        .route("/v1/statuses/{id}/unreblog", web::post().to(unreblog))
        .route("/v1/statuses/{id}/translate", web::post().to(translate));
}

/// Kith has no translation service (`v2/instance` says `translation.enabled: false`): a
/// status the caller may see answers 404, as Mastodon does when no translator is configured.
async fn translate(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    visible_status(&data, &path, Some(me)).await?;
    Err(ApiError::NotFound)
}

/// The status with this id if `viewer` may see it; 404 otherwise, as if it did not exist.
pub(crate) async fn visible_status(
    data: &Data,
    id: &str,
    viewer: Option<i64>,
) -> ApiResult<Status> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    data.db
        .read(move |c| {
            if !statuses::is_visible(c, id, viewer)? {
                return Ok(None);
            }
            statuses::by_id(c, id).optional()
        })
        .await?
        .ok_or(ApiError::NotFound)
}

pub(crate) async fn respond_with(
    data: &Data,
    status: Status,
    viewer: Option<i64>,
) -> ApiResult<HttpResponse> {
    let urls = data.urls.clone();
    let entity = data
        .db
        .read(move |c| status_view(c, &status, viewer, &urls))
        .await?;
    Ok(HttpResponse::Ok().json(entity))
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusForm {
    status: Option<String>,
    in_reply_to_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    sensitive: Option<bool>,
    spoiler_text: Option<String>,
    visibility: Option<String>,
    language: Option<String>,
    #[serde(default)]
    media_ids: Option<serde_json::Value>,
    #[serde(default)]
    poll: Option<PollForm>,
    scheduled_at: Option<String>,
}

/// `poll[…]` as sent (form fields or a JSON object).
#[derive(Debug, Deserialize)]
struct PollForm {
    #[serde(default)]
    options: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "lenient_bool")]
    multiple: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    hide_totals: Option<bool>,
}

/// The poll asked for, checked against Mastodon's limits; `None` if there is none.
fn poll_of(form: Option<&PollForm>) -> ApiResult<Option<NewPoll>> {
    use serde_json::Value;
    let Some(form) = form else { return Ok(None) };
    let bad = |m: &str| ApiError::Unprocessable(format!("Validation failed: {m}"));
    let options: Vec<String> = match &form.options {
        None | Some(Value::Null) => {
            if form.expires_in.is_none() {
                // `poll: {}`: no poll asked for.
                return Ok(None);
            }
            return Err(bad("Poll options can't be blank"));
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad("Poll options must be text")),
            })
            .collect::<ApiResult<_>>()?,
        Some(Value::String(s)) => vec![s.clone()],
        Some(_) => return Err(bad("Poll options must be text")),
    };
    let expires_in = match &form.expires_in {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| bad("Poll expires_in must be a number of seconds"))?,
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| bad("Poll expires_in must be a number of seconds"))?,
        _ => return Err(bad("Poll expires_in can't be blank")),
    };
    let poll = NewPoll {
        options,
        expires_in,
        multiple: form.multiple.unwrap_or(false),
        hide_totals: form.hide_totals.unwrap_or(false),
    };
    poll.validate()?;
    Ok(Some(poll))
}

/// `media_ids` as sent: an array (of strings or numbers) or one string; `None` if absent.
fn media_ids(value: Option<&serde_json::Value>) -> ApiResult<Option<Vec<i64>>> {
    use serde_json::Value;
    let bad = || ApiError::Unprocessable("Validation failed: media_ids must be media ids".into());
    let one = |v: &Value| match v {
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| bad()),
        Value::Number(n) => n.as_i64().ok_or_else(bad),
        _ => Err(bad()),
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items.iter().map(one).collect::<ApiResult<_>>().map(Some),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(Vec::new())),
        Some(v) => Ok(Some(vec![one(v)?])),
    }
}

fn check_text(text: &str, spoiler: &str, has_media: bool) -> ApiResult<()> {
    if text.trim().is_empty() && !has_media {
        return Err(ApiError::Unprocessable(
            "Validation failed: Text can't be blank".into(),
        ));
    }
    let length = kith_core::limits::status_length(text) + spoiler.chars().count();
    if length as i64 > MAX_STATUS_CHARS {
        return Err(ApiError::Unprocessable(format!(
            "Validation failed: Text character limit of {MAX_STATUS_CHARS} exceeded"
        )));
    }
    Ok(())
}

/// A post checked and ready to publish.
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    pub(super) new: NewPost,
    pub(super) poll: Option<NewPoll>,
}

/// The `visibility` parameter: `None` when absent or empty, 422 when not one of Mastodon's
/// four.
fn visibility_param(raw: Option<&str>) -> ApiResult<Option<Visibility>> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<Visibility>().map(Some).map_err(|_| {
            ApiError::Unprocessable(format!("Validation failed: unknown visibility {v:?}"))
        }),
    }
}

/// Checks a new post's parameters (the parent must be visible to the author) and makes the
/// post that `publish` takes.
pub(super) async fn prepare(data: &Data, me: &Account, form: StatusForm) -> ApiResult<Prepared> {
    let media_ids = media_ids(form.media_ids.as_ref())?.unwrap_or_default();
    let poll = poll_of(form.poll.as_ref())?;
    if poll.is_some() && !media_ids.is_empty() {
        return Err(ApiError::Unprocessable(
            "Validation failed: a post cannot have both media and a poll".into(),
        ));
    }
    let text = form.status.unwrap_or_default();
    let spoiler = form.spoiler_text.unwrap_or_default();
    check_text(&text, &spoiler, !media_ids.is_empty())?;
    // What the post leaves out, the author's preferences give.
    let me_id = me.id;
    let prefs = data
        .db
        .read(move |c| kith_core::preferences::of(c, me_id))
        .await?;
    let visibility = visibility_param(form.visibility.as_deref())?.unwrap_or(prefs.visibility);
    let language = crate::languages::language_param(form.language.as_deref())?.or(prefs.language);
    let in_reply_to = match form.in_reply_to_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => Some(visible_status(data, id, Some(me.id)).await?),
        None => None,
    };
    Ok(Prepared {
        new: NewPost {
            text,
            visibility,
            in_reply_to,
            spoiler_text: spoiler,
            sensitive: form.sensitive.unwrap_or(prefs.sensitive),
            language,
            media_ids,
        },
        poll,
    })
}

async fn create(
    req: HttpRequest,
    auth: Auth,
    form: Body<StatusForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let mut form = form.0;
    let scheduled_at = form.scheduled_at.take().filter(|s| !s.trim().is_empty());
    let key = super::idempotency::key_of(&req)?;
    let prepared = prepare(&data, &me, form).await?;
    if let Some(at) = scheduled_at {
        return super::scheduled::schedule(&data, &me, &at, prepared, key).await;
    }
    let status = super::idempotency::post_once(&data, me.clone(), key, prepared).await?;
    respond_with(&data, status, Some(me.id)).await
}

/// One status, seen in the thread context: the viewer's filters mark it (`filtered`) but
/// never hide it, since it was asked for by id.
async fn show(path: web::Path<String>, auth: MaybeAuth, data: Data) -> ApiResult<HttpResponse> {
    let viewer = auth.viewer();
    let status = visible_status(&data, &path, viewer).await?;
    let urls = data.urls.clone();
    let entity = data
        .db
        .read(move |c| {
            let mut one = vec![status_view(c, &status, viewer, &urls)?];
            if let Some(v) = viewer {
                apply_filters(c, v, FilterContext::Thread, &mut one, false)?;
            }
            Ok(one.pop())
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(entity))
}

/// The caller's own status.
async fn own_status(data: &Data, id: &str, me: &Account) -> ApiResult<Status> {
    let status = visible_status(data, id, Some(me.id)).await?;
    if status.account_id != me.id {
        return Err(ApiError::NotFound);
    }
    Ok(status)
}

async fn remove(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let status = own_status(&data, &path, &me).await?;
    let urls = data.urls.clone();
    let (s, viewer) = (status.clone(), me.id);
    let mut entity = data
        .db
        .read(move |c| status_view(c, &s, Some(viewer), &urls))
        .await?;
    entity.text = status.source_text.clone();
    publish::delete(&data, me, status).await?;
    Ok(HttpResponse::Ok().json(entity))
}

async fn edit(
    path: web::Path<String>,
    auth: Auth,
    form: Body<StatusForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let status = own_status(&data, &path, &me).await?;
    if status.reblog_of_id.is_some() {
        return Err(ApiError::Unprocessable(
            "Validation failed: boosts cannot be edited".into(),
        ));
    }
    let form = form.0;
    // An edit keeps the post's visibility (as Mastodon's does), but a value that is no
    // visibility at all, or a language that is none, is refused rather than ignored.
    visibility_param(form.visibility.as_deref())?;
    crate::languages::language_param(form.language.as_deref())?;
    // Without `media_ids` an edit keeps the post's media; with it, the list replaces them.
    let media_ids = media_ids(form.media_ids.as_ref())?;
    let text = form.status.unwrap_or_default();
    let spoiler = form.spoiler_text.unwrap_or_default();
    let has_media = match &media_ids {
        Some(ids) => !ids.is_empty(),
        None => {
            let id = status.id;
            !data
                .db
                .read(move |c| kith_storage::media::of_statuses(c, &[id]))
                .await?
                .is_empty()
        }
    };
    check_text(&text, &spoiler, has_media)?;
    // As on Mastodon, the edit carries the poll the post is to have: without `poll` it has none.
    let poll = poll_of(form.poll.as_ref())?;
    if poll.is_some() && has_media {
        return Err(ApiError::Unprocessable(
            "Validation failed: a post cannot have both media and a poll".into(),
        ));
    }
    let change = publish::PostEdit {
        text,
        spoiler_text: spoiler,
        sensitive: form.sensitive.unwrap_or(false),
        media_ids,
        poll,
    };
    let updated = publish::edit(&data, me.clone(), status, change).await?;
    respond_with(&data, updated, Some(me.id)).await
}

async fn context(path: web::Path<String>, auth: MaybeAuth, data: Data) -> ApiResult<HttpResponse> {
    let viewer = auth.viewer();
    let status = visible_status(&data, &path, viewer).await?;
    let urls = data.urls.clone();
    let body = data
        .db
        .read(move |c| {
            let mut ancestors = Vec::new();
            let mut parent = status.in_reply_to_id;
            while let Some(pid) = parent.take() {
                if ancestors.len() >= 40 {
                    break;
                }
                let Some(p) = statuses::by_id(c, pid).optional()? else {
                    break;
                };
                parent = p.in_reply_to_id;
                ancestors.push(p);
            }
            ancestors.reverse();
            let mut descendants = Vec::new();
            let mut queue = vec![status.id];
            while let Some(id) = queue.pop() {
                for r in statuses::replies(c, id)? {
                    if descendants.len() >= 200 {
                        break;
                    }
                    queue.push(r.id);
                    descendants.push(r);
                }
            }
            descendants.sort_by_key(|s| s.id);
            Ok(serde_json::json!({
                "ancestors": statuses_view_in(c, &ancestors, viewer, &urls, FilterContext::Thread)?,
                "descendants": statuses_view_in(c, &descendants, viewer, &urls, FilterContext::Thread)?,
            }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn favourite(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let status = visible_status(&data, &path, Some(me.id)).await?;
    publish::favourite(&data, me.clone(), status.clone()).await?;
    respond_with(&data, status, Some(me.id)).await
}

async fn unfavourite(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let status = visible_status(&data, &path, Some(me.id)).await?;
    publish::unfavourite(&data, me.clone(), status.clone()).await?;
    respond_with(&data, status, Some(me.id)).await
}

async fn reblog(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let status = visible_status(&data, &path, Some(me.id)).await?;
    let boost = publish::reblog(&data, me.clone(), status).await?;
    respond_with(&data, boost, Some(me.id)).await
}

async fn unreblog(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let status = visible_status(&data, &path, Some(me.id)).await?;
    let (my_id, target) = (me.id, status.id);
    if let Some(boost) = data
        .db
        .read(move |c| statuses::reblog_by(c, my_id, target).optional())
        .await?
    {
        publish::delete(&data, me.clone(), boost).await?;
    }
    respond_with(&data, status, Some(me.id)).await
}
