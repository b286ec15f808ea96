//! `GET /media/{name}`: stored media files, from the configured `MediaStore`. Only keys Kith
//! makes are looked up. The `Content-Type` is sniffed from the stored bytes (never what the
//! uploader said), and every answer is inert: `X-Content-Type-Options: nosniff`, a
//! `default-src 'none'; sandbox` CSP, and `Content-Disposition: inline` only for images, video
//! and audio of the accepted types — anything else is `attachment` as
//! `application/octet-stream`. Files never change under a key, so they are cached for a year.
//! A single `Range` is honoured (206 with `Content-Range`, 416 outside the file), so video and
//! audio players can seek.

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

/// What a `Range` header asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    /// The whole file (no `Range`, or one Kith does not serve in parts: several ranges, or
    /// another unit; RFC 9110 lets a server answer those with the whole file).
    Whole,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// A range outside the file: 416.
    Unsatisfiable,
}

/// Reads `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` (one range).
fn wanted(range: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    let (start, end) = match (first.is_empty(), last.is_empty()) {
        // The last n bytes.
        (true, false) => match parse(last) {
            Some(0) => return Wanted::Unsatisfiable,
            Some(n) => (len.saturating_sub(n), len.saturating_sub(1)),
            None => return Wanted::Whole,
        },
        (false, true) => match parse(first) {
            Some(a) => (a, len.saturating_sub(1)),
            None => return Wanted::Whole,
        },
        (false, false) => match (parse(first), parse(last)) {
            (Some(a), Some(b)) if a <= b => (a, b.min(len.saturating_sub(1))),
            _ => return Wanted::Whole,
        },
        (true, true) => return Wanted::Whole,
    };
    if len == 0 || start >= len {
        return Wanted::Unsatisfiable;
    }
    Wanted::Part(start, end)
}

async fn serve(
    req: actix_web::HttpRequest,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let key = format!("media/{}", path.into_inner());
    if !is_key(&key) {
        return Err(ApiError::NotFound);
    }
    let bytes = data.media.get(&key).await?.ok_or(ApiError::NotFound)?;
    let (content_type, inline) = served_type(&bytes);
    let len = bytes.len() as u64;
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let (mut answer, body) = match wanted(range, len) {
        Wanted::Whole => (HttpResponse::Ok(), bytes),
        Wanted::Part(start, end) => {
            let mut a = HttpResponse::PartialContent();
            a.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")));
            // Both within the file, checked by `wanted`.
            let part = bytes.slice(start as usize..=end as usize);
            (a, part)
        }
        Wanted::Unsatisfiable => {
            let mut a = HttpResponse::RangeNotSatisfiable();
            a.insert_header((header::CONTENT_RANGE, format!("bytes */{len}")));
            (a, Default::default())
        }
    };
    Ok(answer
        .insert_header((header::ACCEPT_RANGES, "bytes"))
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
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-9"), 100), Wanted::Part(0, 9));
        assert_eq!(wanted(Some("bytes=90-"), 100), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-10"), 100), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-1000"), 100), Wanted::Part(0, 99));
        assert_eq!(wanted(Some("bytes=50-5000"), 100), Wanted::Part(50, 99));
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,5-6"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=9-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=x-1"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-0"), 0), Wanted::Unsatisfiable);
    }

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
