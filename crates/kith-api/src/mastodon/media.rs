//! Media uploads: `POST /api/v1/media` and `/api/v2/media` (processed at once and answered 200
//! with the finished attachment; a v2 upload over 1 MiB is processed after a 202, see
//! `kith_federation::media_processing`, and `GET` answers 206 until it is done), and `GET`/`PUT`/`DELETE /api/v1/media/{id}` on one's own
//! unattached uploads. The file's type comes from its bytes (`kith_core::media`); files go to
//! the configured `MediaStore`. A refused or failed upload leaves no file behind: files are
//! written only after the upload was accepted, and removed again if the row cannot be stored.

use crate::auth::Auth;
use crate::body::{read_upload, Body, BodyDeadline};
use crate::entities::media::media_attachment;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::media::{self, MAX_DESCRIPTION_CHARS, MAX_VIDEO_BYTES};
use kith_core::media_store::new_key;
use kith_federation::media_processing::ASYNC_ABOVE_BYTES;
use kith_federation::Data;
use kith_storage::accounts::Account;
use kith_storage::media::{self as rows, Media};
use kith_storage::OptionalExt;
use serde::Deserialize;
use serde_json::Value;

/// An upload may take this many times the configured body deadline (15 s → 5 minutes).
const UPLOAD_DEADLINE_FACTOR: u32 = 20;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/media", web::post().to(upload))
        .route("/v2/media", web::post().to(upload))
        .route("/v1/media/{id}", web::get().to(show))
        .route("/v1/media/{id}", web::put().to(update))
        .route("/v1/media/{id}", web::delete().to(remove));
}

/// `description` (at most 1,500 characters; empty clears it).
fn description(v: Option<&Value>) -> ApiResult<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.replace('\0', "");
            if s.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(ApiError::Unprocessable(format!(
                    "Validation failed: Description is too long (maximum is {MAX_DESCRIPTION_CHARS} characters)"
                )));
            }
            Ok(Some(s).filter(|s| !s.trim().is_empty()))
        }
        Some(_) => Err(ApiError::Unprocessable(
            "Validation failed: description must be text".into(),
        )),
    }
}

/// `focus` as `"x,y"`, each within -1..1.
fn focus(v: Option<&Value>) -> ApiResult<Option<(f64, f64)>> {
    let bad =
        || ApiError::Unprocessable("Validation failed: focus must be \"x,y\" within -1..1".into());
    let Some(Value::String(s)) = v else {
        return match v {
            None | Some(Value::Null) => Ok(None),
            _ => Err(bad()),
        };
    };
    if s.trim().is_empty() {
        return Ok(None);
    }
    let (x, y) = s.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y) {
        return Err(bad());
    }
    Ok(Some((x, y)))
}

async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    auth: Auth,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let deadline = BodyDeadline::of(&req) * UPLOAD_DEADLINE_FACTOR;
    let upload = read_upload(&req, payload.into_inner(), MAX_VIDEO_BYTES, deadline).await?;
    let file = upload
        .file
        .ok_or_else(|| ApiError::Unprocessable("Validation failed: File can't be blank".into()))?;
    let description = description(upload.fields.get("description"))?;
    let focus = focus(upload.fields.get("focus"))?;
    if req.path().starts_with("/api/v2/") && file.len() > ASYNC_ABOVE_BYTES {
        return upload_later(&data, &me, file, description, focus).await;
    }
    let processed = web::block(move || media::process(&file))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let store = data.media.clone();
    let file_key = new_key(processed.extension);
    store.put(&file_key, processed.file.clone().into()).await?;
    let thumbnail_key = match &processed.thumbnail {
        Some(t) => {
            let key = new_key(t.extension);
            if let Err(e) = store.put(&key, t.file.clone().into()).await {
                store.delete(&file_key).await.ok();
                return Err(e.into());
            }
            Some(key)
        }
        None => None,
    };
    let id = kith_storage::id::new_id();
    let row = Media {
        id,
        account_id: me.id,
        status_id: None,
        kind: processed.kind.to_owned(),
        content_type: processed.content_type.to_owned(),
        file_key: file_key.clone(),
        file_size: processed.file.len() as i64,
        thumbnail_key: thumbnail_key.clone(),
        width: processed.width.map(|w| w as i32),
        height: processed.height.map(|h| h as i32),
        thumbnail_width: processed.thumbnail.as_ref().map(|t| t.width as i32),
        thumbnail_height: processed.thumbnail.as_ref().map(|t| t.height as i32),
        blurhash: processed.blurhash.clone(),
        description,
        focus_x: focus.map(|f| f.0),
        focus_y: focus.map(|f| f.1),
        position: 0,
        created_at: kith_storage::id::timestamp_of(id),
    };
    let stored = row.clone();
    if let Err(e) = data.db.write(move |c| rows::insert(c, &stored)).await {
        store.delete(&file_key).await.ok();
        if let Some(k) = &thumbnail_key {
            store.delete(k).await.ok();
        }
        return Err(e.into());
    }
    Ok(HttpResponse::Ok().json(media_attachment(&row, &data.urls)))
}

/// A large upload to `/api/v2/media`: its type is checked now (a refused file gets its 422
/// at once), the file is stored as it came and processed after the answer, 202 with `url`
/// null, as Mastodon answers.
async fn upload_later(
    data: &Data,
    me: &Account,
    file: actix_web::web::Bytes,
    description: Option<String>,
    focus: Option<(f64, f64)>,
) -> ApiResult<HttpResponse> {
    let (content_type, kind, extension, limit) = media::sniff(&file)?;
    if file.len() > limit {
        return Err(ApiError::Unprocessable(format!(
            "Validation failed: File is too large: {content_type} files may be at most {} MiB",
            limit / (1024 * 1024)
        )));
    }
    let store = data.media.clone();
    let original_key = new_key(extension);
    store.put(&original_key, file.clone()).await?;
    let id = kith_storage::id::new_id();
    let row = Media {
        id,
        account_id: me.id,
        status_id: None,
        kind: kind.to_owned(),
        content_type: content_type.to_owned(),
        file_key: original_key.clone(),
        file_size: file.len() as i64,
        thumbnail_key: None,
        width: None,
        height: None,
        thumbnail_width: None,
        thumbnail_height: None,
        blurhash: None,
        description,
        focus_x: focus.map(|f| f.0),
        focus_y: focus.map(|f| f.1),
        position: 0,
        created_at: kith_storage::id::timestamp_of(id),
    };
    let (stored, key) = (row.clone(), original_key.clone());
    let until = kith_storage::now() + kith_federation::media_processing::HOLD;
    if let Err(e) = data
        .db
        .write(move |c| {
            rows::insert(c, &stored)?;
            rows::start_processing(c, stored.id, &key, until)
        })
        .await
    {
        store.delete(&original_key).await.ok();
        return Err(e.into());
    }
    let ctx = (**data).clone();
    tokio::spawn(async move {
        if let Err(e) = kith_federation::media_processing::finish(&ctx, id, original_key).await {
            tracing::warn!(media_id = id, error = %e, "processing an upload failed; retried later");
        }
    });
    Ok(HttpResponse::Accepted().json(processing_attachment(&row, &data.urls)))
}

/// An upload still being processed: no file to show yet (`url` null, as in Mastodon).
fn processing_attachment(m: &Media, urls: &kith_core::InstanceUrls) -> Value {
    let mut v = media_attachment(m, urls);
    v["url"] = Value::Null;
    v["preview_url"] = Value::Null;
    v
}

/// The caller's own upload with this id, if no post has taken it (Mastodon's rule for these
/// endpoints); 404 otherwise.
async fn own_unattached(data: &Data, id: &str, me: &Account) -> ApiResult<Media> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let me = me.id;
    data.db
        .read(move |c| rows::by_id(c, id).optional())
        .await?
        .filter(|m| m.account_id == me && m.status_id.is_none())
        .ok_or(ApiError::NotFound)
}

/// 206 while the upload is being processed (`url` null), 200 once it is done, as Mastodon.
async fn show(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let m = own_unattached(&data, &path, auth.account()?).await?;
    let id = m.id;
    let processing = !data
        .db
        .read(move |c| rows::processing_among(c, &[id]))
        .await?
        .is_empty();
    if processing {
        return Ok(HttpResponse::PartialContent().json(processing_attachment(&m, &data.urls)));
    }
    Ok(HttpResponse::Ok().json(media_attachment(&m, &data.urls)))
}

#[derive(Debug, Deserialize)]
struct MediaForm {
    description: Option<Value>,
    focus: Option<Value>,
}

async fn update(
    path: web::Path<String>,
    auth: Auth,
    form: Body<MediaForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let mut m = own_unattached(&data, &path, auth.account()?).await?;
    let form = form.0;
    if form.description.is_some() {
        m.description = description(form.description.as_ref())?;
    }
    if form.focus.is_some() {
        let f = focus(form.focus.as_ref())?;
        m.focus_x = f.map(|f| f.0);
        m.focus_y = f.map(|f| f.1);
    }
    let (id, d, f) = (m.id, m.description.clone(), m.focus_x.zip(m.focus_y));
    data.db.write(move |c| rows::describe(c, id, d, f)).await?;
    Ok(HttpResponse::Ok().json(media_attachment(&m, &data.urls)))
}

async fn remove(path: web::Path<String>, auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id: i64 = path.parse().map_err(|_| ApiError::NotFound)?;
    let m = data
        .db
        .read(move |c| rows::by_id(c, id).optional())
        .await?
        .filter(|m| m.account_id == me)
        .ok_or(ApiError::NotFound)?;
    if m.status_id.is_some() {
        return Err(ApiError::Unprocessable(
            "Validation failed: Media attachment is currently used by a status".into(),
        ));
    }
    // Only while still unattached: a post taking it meanwhile keeps it.
    let taken = data
        .db
        .write(move |c| rows::delete_unattached(c, id))
        .await?;
    if !taken {
        return Err(ApiError::Unprocessable(
            "Validation failed: Media attachment is currently used by a status".into(),
        ));
    }
    data.media.delete(&m.file_key).await?;
    if let Some(k) = &m.thumbnail_key {
        data.media.delete(k).await?;
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
