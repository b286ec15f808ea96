//! `MediaAttachment`: local uploads (with `meta.original`/`small`/`focus`, served by Kith at
//! `/media/…`) and remote attachments, shown by their URL with `remote_url`.

use kith_core::InstanceUrls;
use kith_federation::protocol::note::Attachment;
use kith_storage::media::Media;
use serde_json::{json, Map, Value};

/// Where a stored file is served.
pub fn file_url(urls: &InstanceUrls, key: &str) -> String {
    format!("{}{key}", urls.base())
}

fn size(w: i32, h: i32) -> Value {
    json!({ "width": w, "height": h, "size": format!("{w}x{h}"),
            "aspect": if h == 0 { 0.0 } else { f64::from(w) / f64::from(h) } })
}

/// A local upload.
pub fn media_attachment(m: &Media, urls: &InstanceUrls) -> Value {
    let mut meta = Map::new();
    if let (Some(w), Some(h)) = (m.width, m.height) {
        meta.insert("original".into(), size(w, h));
    }
    if let (Some(w), Some(h)) = (m.thumbnail_width, m.thumbnail_height) {
        meta.insert("small".into(), size(w, h));
    }
    if let (Some(x), Some(y)) = (m.focus_x, m.focus_y) {
        meta.insert("focus".into(), json!({ "x": x, "y": y }));
    }
    let url = file_url(urls, &m.file_key);
    json!({
        "id": m.id.to_string(),
        "type": m.kind,
        "url": url,
        "preview_url": m.thumbnail_key.as_deref().map(|k| file_url(urls, k)),
        "remote_url": null,
        "preview_remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": m.description,
        "blurhash": m.blurhash,
    })
}

/// Mastodon's type for a remote attachment's `mediaType`.
pub fn kind_of(media_type: &str) -> &'static str {
    match media_type.split(';').next().unwrap_or("").trim() {
        t if t.starts_with("image/") => "image",
        t if t.starts_with("video/") => "video",
        t if t.starts_with("audio/") => "audio",
        _ => "unknown",
    }
}

/// A remote attachment (`n`th of status `status_id`), shown by its URL.
pub fn remote_attachment(status_id: i64, n: usize, a: &Attachment) -> Value {
    let mut meta = Map::new();
    if let (Some(w), Some(h)) = (a.width, a.height) {
        if let (Ok(w), Ok(h)) = (i32::try_from(w), i32::try_from(h)) {
            meta.insert("original".into(), size(w, h));
        }
    }
    if let Some([x, y]) = a.focal_point {
        meta.insert("focus".into(), json!({ "x": x, "y": y }));
    }
    json!({
        "id": format!("{status_id}{n}"),
        "type": kind_of(a.media_type.as_deref().unwrap_or("")),
        "url": a.url,
        "preview_url": a.url,
        "remote_url": a.url,
        "preview_remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": a.description,
        "blurhash": a.blurhash,
    })
}
