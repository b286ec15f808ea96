//! `Instance` (v2) and `V1Instance`, with the limits Kith enforces.

use kith_core::instance::{compat_version, InstanceInfo};
use kith_core::InstanceUrls;
use serde_json::{json, Value};

/// Longest post, in characters as Mastodon counts them (`kith_core::limits::status_length`).
pub const MAX_STATUS_CHARS: i64 = kith_core::limits::MAX_STATUS_CHARS as i64;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 30;
/// Longest bio, in characters.
pub const MAX_NOTE_CHARS: usize = 500;
/// The `api_versions.mastodon` level Kith answers to (Mastodon 4.3's).
pub const MASTODON_API_VERSION: i64 = 2;

/// Numbers both instance documents show.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Local people.
    pub users: i64,
    /// Local people active in the last 30 days.
    pub active_month: i64,
    /// Local posts.
    pub statuses: i64,
    /// Other instances known.
    pub domains: i64,
    /// Whether people may sign up (open or approval mode; `kith_core::registrations`).
    pub registrations_open: bool,
    /// Whether a sign-up waits for a moderator's approval.
    pub approval_required: bool,
}

/// What `kith_core::media` accepts. Video is stored as uploaded, so Kith puts no frame rate
/// or frame size limit on it (0, as Mastodon shows "none").
fn media_limits() -> Value {
    use kith_core::media;
    let types: Vec<&str> = media::IMAGE_TYPES
        .iter()
        .chain(media::VIDEO_TYPES)
        .chain(media::AUDIO_TYPES)
        .copied()
        .collect();
    json!({ "supported_mime_types": types, "image_size_limit": media::MAX_IMAGE_BYTES,
            "image_matrix_limit": media::MAX_IMAGE_PIXELS, "video_size_limit": media::MAX_VIDEO_BYTES,
            "video_frame_rate_limit": 0, "video_matrix_limit": 0,
            "description_limit": media::MAX_DESCRIPTION_CHARS })
}

/// The limits Kith enforces, where the code enforcing them keeps them. Kith has no Web Push, so `vapid` is left out (Mastodon's schema
/// makes it optional; clients read its absence as no push).
fn limits(v2: bool, streaming: &str) -> Value {
    let mut c = json!({
        "accounts": { "max_featured_tags": kith_core::limits::MAX_FEATURED_TAGS,
                      "max_pinned_statuses": kith_storage::marks::PIN_LIMIT,
                      "max_display_name_length": MAX_DISPLAY_NAME_CHARS, "max_note_length": MAX_NOTE_CHARS,
                      "max_profile_fields": kith_core::limits::MAX_PROFILE_FIELDS },
        "statuses": { "max_characters": MAX_STATUS_CHARS,
                      "max_media_attachments": kith_federation::publish::MAX_MEDIA,
                      "characters_reserved_per_url": kith_core::limits::CHARS_PER_URL },
        "media_attachments": media_limits(),
        "polls": { "max_options": kith_core::polls::MAX_OPTIONS,
                   "max_characters_per_option": kith_core::polls::MAX_OPTION_CHARS,
                   "min_expiration": kith_core::polls::MIN_EXPIRATION,
                   "max_expiration": kith_core::polls::MAX_EXPIRATION },
    });
    if v2 {
        c["translation"] = json!({ "enabled": false });
        c["urls"] = json!({ "streaming": streaming, "status": null });
    }
    c
}

/// `GET /api/v2/instance`.
pub fn instance_v2(info: &InstanceInfo, urls: &InstanceUrls, stats: Stats) -> Value {
    json!({
        "domain": urls.domain(),
        "title": info.title,
        "version": compat_version(),
        "source_url": env!("CARGO_PKG_REPOSITORY"),
        "description": info.description,
        "usage": { "users": { "active_month": stats.active_month } },
        "thumbnail": { "url": format!("{}static/header.png", urls.base()) },
        "icon": [],
        "languages": ["en"],
        "configuration": limits(true, &streaming_url(urls)),
        "registrations": { "enabled": stats.registrations_open,
                           "approval_required": stats.approval_required,
                           "message": null, "url": null },
        "api_versions": { "mastodon": MASTODON_API_VERSION },
        "contact": { "email": info.contact_email, "account": null },
        "rules": rules(info),
    })
}

/// `GET /api/v1/instance`.
pub fn instance_v1(info: &InstanceInfo, urls: &InstanceUrls, stats: Stats) -> Value {
    json!({
        "uri": urls.domain(),
        "title": info.title,
        "short_description": info.description,
        "description": info.description,
        "email": info.contact_email,
        "version": compat_version(),
        "urls": { "streaming_api": streaming_url(urls) },
        "stats": { "user_count": stats.users, "status_count": stats.statuses,
                   "domain_count": stats.domains },
        "thumbnail": format!("{}static/header.png", urls.base()),
        "languages": ["en"],
        "registrations": stats.registrations_open,
        "approval_required": stats.approval_required,
        "invites_enabled": false,
        "configuration": limits(false, &streaming_url(urls)),
        "contact_account": null,
        "rules": rules(info),
    })
}

/// Where clients open the streaming API: this origin with `ws`/`wss`, without a path (clients
/// append `/api/v1/streaming`, as with Mastodon's `wss://DOMAIN`).
fn streaming_url(urls: &InstanceUrls) -> String {
    let base = urls.base();
    let scheme = if base.scheme() == "https" {
        "wss"
    } else {
        "ws"
    };
    match base.port() {
        Some(port) => format!("{scheme}://{}:{port}", base.host_str().unwrap_or_default()),
        None => format!("{scheme}://{}", base.host_str().unwrap_or_default()),
    }
}

/// Mastodon's `Rule`: the configured rules, numbered from 1 in order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rule {
    pub id: String,
    pub text: String,
    pub hint: String,
}

/// The instance's rules as `Rule` entities.
pub fn rules(info: &InstanceInfo) -> Vec<Rule> {
    info.rules
        .iter()
        .enumerate()
        .map(|(n, text)| Rule {
            id: (n + 1).to_string(),
            text: text.clone(),
            hint: String::new(),
        })
        .collect()
}
