//! Uploaded media: what Kith accepts and what it makes of it. The type comes from the file's
//! own bytes (`infer`), never from the client. Images (JPEG, PNG, WebP, GIF — only the decoders
//! enabled in the workspace) are measured, given a thumbnail (fit in 640×640) and a blurhash,
//! and re-encoded so that no metadata survives: JPEG is decoded, turned upright by its EXIF
//! orientation and written anew as JPEG (EXIF, GPS included, is gone); PNG is written anew (its
//! `eXIf`/text chunks are gone); WebP is written anew, losslessly (its EXIF/XMP chunks are
//! gone); GIF is kept byte for byte, as re-encoding would flatten animations — GIF has no EXIF,
//! though an XMP application extension would stay. Decompression bombs are refused before
//! decoding by the declared dimensions (`MAX_IMAGE_PIXELS`) and during it by `image`'s
//! `Limits`. Video and audio are stored as uploaded, by sniffed type, without a preview.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Largest image upload (Mastodon's limit).
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;
/// Largest video or audio upload (Mastodon's limit).
pub const MAX_VIDEO_BYTES: usize = 99 * 1024 * 1024;
/// Most pixels an image may have (7680×4320, Mastodon's `image_matrix_limit`).
pub const MAX_IMAGE_PIXELS: u64 = 33_177_600;
/// Thumbnails fit in a square of this side.
pub const THUMBNAIL_SIDE: u32 = 640;
/// Longest description (Mastodon's).
pub const MAX_DESCRIPTION_CHARS: usize = 1_500;

/// Image types accepted.
pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];
/// Video types accepted (as sniffed).
pub const VIDEO_TYPES: &[&str] = &["video/mp4", "video/webm", "video/quicktime"];
/// Audio types accepted (as sniffed).
pub const AUDIO_TYPES: &[&str] = &[
    "audio/mpeg",
    "audio/ogg",
    "audio/x-wav",
    "audio/x-flac",
    "audio/m4a",
];

/// Why an upload was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// Larger than its type allows.
    #[error("File is too large: {0}")]
    TooLarge(String),
    /// Not a type Kith accepts.
    #[error("File type not supported: {0}")]
    Unsupported(String),
    /// Claims to be an accepted type but cannot be read.
    #[error("File could not be processed: {0}")]
    Invalid(String),
}

/// A file ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    /// Mastodon's type: `image`, `video`, `audio`.
    pub kind: &'static str,
    /// The sniffed type, served as `Content-Type`.
    pub content_type: &'static str,
    /// File name extension for the storage key.
    pub extension: &'static str,
    /// The file to store (re-encoded for images other than GIF).
    pub file: Vec<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub blurhash: Option<String>,
    pub thumbnail: Option<Thumbnail>,
}

/// A preview image.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub file: Vec<u8>,
    pub content_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The accepted type of these bytes: (content type, Mastodon type, extension, size limit).
pub fn sniff(
    bytes: &[u8],
) -> Result<(&'static str, &'static str, &'static str, usize), MediaError> {
    let found = infer::get(bytes).ok_or_else(|| {
        MediaError::Unsupported("unrecognised file; send an image, a video or audio".into())
    })?;
    let mime = found.mime_type();
    let ext = found.extension();
    if let Some(t) = IMAGE_TYPES.iter().find(|t| **t == mime) {
        return Ok((t, "image", ext, MAX_IMAGE_BYTES));
    }
    if let Some(t) = VIDEO_TYPES.iter().find(|t| **t == mime) {
        return Ok((t, "video", ext, MAX_VIDEO_BYTES));
    }
    if let Some(t) = AUDIO_TYPES.iter().find(|t| **t == mime) {
        return Ok((t, "audio", ext, MAX_VIDEO_BYTES));
    }
    Err(MediaError::Unsupported(mime.to_owned()))
}

/// Checks and prepares an upload (CPU-bound: call it off the async threads).
pub fn process(bytes: &[u8]) -> Result<Processed, MediaError> {
    let (content_type, kind, extension, limit) = sniff(bytes)?;
    if bytes.len() > limit {
        return Err(MediaError::TooLarge(format!(
            "{content_type} files may be at most {} MiB",
            limit / (1024 * 1024)
        )));
    }
    if kind != "image" {
        return Ok(Processed {
            kind,
            content_type,
            extension,
            file: bytes.to_vec(),
            width: None,
            height: None,
            blurhash: None,
            thumbnail: None,
        });
    }
    let format = match content_type {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/gif" => ImageFormat::Gif,
        _ => ImageFormat::WebP,
    };
    let image = decode(bytes, format)?;
    let file = match format {
        // Kept as uploaded (see the module header).
        ImageFormat::Gif => bytes.to_vec(),
        ImageFormat::Jpeg => encode(&DynamicImage::ImageRgb8(image.to_rgb8()), ImageFormat::Jpeg)?,
        other => encode(&image, other)?,
    };
    let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    let (thumb_format, thumb_type, thumb_ext) = if small.color().has_alpha() {
        (ImageFormat::Png, "image/png", "png")
    } else {
        (ImageFormat::Jpeg, "image/jpeg", "jpg")
    };
    let thumb_image = if thumb_format == ImageFormat::Jpeg {
        DynamicImage::ImageRgb8(small.to_rgb8())
    } else {
        small.clone()
    };
    let thumbnail = Thumbnail {
        file: encode(&thumb_image, thumb_format)?,
        content_type: thumb_type,
        extension: thumb_ext,
        width: small.width(),
        height: small.height(),
    };
    let tiny = small.thumbnail(64, 64).to_rgba8();
    let blurhash = blurhash::encode(4, 3, tiny.width(), tiny.height(), tiny.as_raw())
        .map_err(|e| MediaError::Invalid(format!("blurhash: {e}")))?;
    Ok(Processed {
        kind,
        content_type,
        extension,
        file,
        width: Some(image.width()),
        height: Some(image.height()),
        blurhash: Some(blurhash),
        thumbnail: Some(thumbnail),
    })
}

/// Decodes within limits: the declared size first, then `image`'s allocation limit.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, MediaError> {
    let invalid = |e: image::ImageError| MediaError::Invalid(e.to_string());
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(invalid)?;
    if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(MediaError::TooLarge(format!(
            "{w}×{h} pixels; images may have at most {MAX_IMAGE_PIXELS} pixels"
        )));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    // RGBA at the largest size, with room for the decoder's own buffers.
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 * 2);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(invalid)?;
    let orientation = decoder.orientation().map_err(invalid)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, MediaError> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, format)
        .map_err(|e| MediaError::Invalid(format!("cannot re-encode: {e}")))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 128]));
        encode(&DynamicImage::ImageRgb8(img), ImageFormat::Png).unwrap()
    }

    /// CRC-32 as PNG chunks use it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn images_are_measured_thumbnailed_and_hashed() {
        let p = process(&png(1000, 500)).unwrap();
        assert_eq!((p.kind, p.content_type), ("image", "image/png"));
        assert_eq!((p.width, p.height), (Some(1000), Some(500)));
        let t = p.thumbnail.unwrap();
        assert_eq!((t.width, t.height), (640, 320));
        assert!(p.blurhash.unwrap().len() >= 6);
    }

    #[test]
    fn jpeg_exif_is_dropped_by_re_encoding() {
        let img = image::RgbImage::from_pixel(32, 16, image::Rgb([200, 10, 10]));
        let plain = encode(&DynamicImage::ImageRgb8(img), ImageFormat::Jpeg).unwrap();
        // An APP1 "Exif" segment (with a marker string standing for GPS data) after SOI.
        let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS-SECRET-LOCATION";
        let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
        with_exif.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        with_exif.extend_from_slice(payload);
        with_exif.extend_from_slice(&plain[2..]);
        let needle = b"GPS-SECRET-LOCATION";
        assert!(with_exif.windows(needle.len()).any(|w| w == needle));
        let p = process(&with_exif).unwrap();
        assert_eq!(p.content_type, "image/jpeg");
        assert!(!p.file.windows(needle.len()).any(|w| w == needle));
        assert_eq!((p.width, p.height), (Some(32), Some(16)));
    }

    #[test]
    fn bombs_and_unknown_types_are_refused() {
        // A valid PNG header (with its checksum) declaring 100000×100000 pixels: refused by
        // its declared size, before anything is decoded.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        match process(&bomb) {
            Err(MediaError::TooLarge(m)) => assert!(m.contains("pixels"), "{m}"),
            other => panic!("a bomb got {other:?}"),
        }
        // Just over the cap (7681×4320) is refused too.
        bomb[16..20].copy_from_slice(&7_681u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&4_320u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(process(&bomb), Err(MediaError::TooLarge(_))));
        assert!(matches!(
            process(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
            Err(MediaError::Unsupported(_))
        ));
        assert!(matches!(
            process(b"<html><script>alert(1)</script></html>"),
            Err(MediaError::Unsupported(_))
        ));
        assert!(matches!(
            process(b"%PDF-1.4 hello"),
            Err(MediaError::Unsupported(_))
        ));
    }
}
