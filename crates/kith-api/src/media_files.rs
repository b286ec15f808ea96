//! `GET /media/{name}`: stored media files, from the configured `MediaStore`. Only keys Kith
//! makes are looked up. The `Content-Type` is sniffed from the stored bytes (never what the
//! uploader said), and every answer is inert: `X-Content-Type-Options: nosniff`, a
//! `default-src 'none'; sandbox` CSP, and `Content-Disposition: inline` only for images, video
//! and audio of the accepted types — anything else is `attachment` as
//! `application/octet-stream`. Files never change under a key, so they are cached for a year.

use crate::error::{ApiError, ApiResult};
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use kith_core::media::{AUDIO_TYPES, IMAGE_TYPES, VIDEO_TYPES};
use kith_core::media_store::is_key;
use kith_federation::Data;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/media/{name}", web::get().to(serve));
}

/// The type to serve these bytes as, and whether it may be shown inline.
fn served_type(bytes: &[u8]) -> (&'static str, bool) {
    let sniffed = infer::get(bytes).map(|t| t.mime_type());
    match sniffed.and_then(|m| {
        IMAGE_TYPES
            .iter()
            .chain(VIDEO_TYPES)
            .chain(AUDIO_TYPES)
            .find(|t| **t == m)
    }) {
        Some(t) => (t, true),
        None => ("application/octet-stream", false),
    }
}

async fn serve(path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let key = format!("media/{}", path.into_inner());
    if !is_key(&key) {
        return Err(ApiError::NotFound);
    }
    let bytes = data.media.get(&key).await?.ok_or(ApiError::NotFound)?;
    let (content_type, inline) = served_type(&bytes);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header((
            header::CONTENT_DISPOSITION,
            if inline { "inline" } else { "attachment" },
        ))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_accepted_media_is_inline() {
        assert_eq!(
            served_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            ("image/png", true)
        );
        assert_eq!(
            served_type(b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>"),
            ("application/octet-stream", false)
        );
        assert_eq!(
            served_type(b"<html><script>alert(1)</script></html>"),
            ("application/octet-stream", false)
        );
    }
}
