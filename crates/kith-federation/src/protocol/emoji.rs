//! `Emoji` tags (Mastodon's `toot:Emoji`): a custom emoji named `:shortcode:` in a post's or
//! actor's text, with its image as an `icon`. Mastodon, Misskey, Pleroma, Akkoma and
//! GoToSocial all send this shape:
//! `{"type":"Emoji","id":URL,"name":":blobcat:","updated":…,"icon":{"type":"Image","mediaType":…,"url":URL}}`.

use super::values::first_url;
use serde_json::{json, Value};

/// An `Emoji` tag as received, read leniently; `convert::emojis` decides what is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct EmojiIn {
    /// `name` as sent (usually `:shortcode:`).
    pub name: String,
    /// The Emoji's id, if any.
    pub id: Option<String>,
    /// The image URL (`icon.url`, else `url`; http or https only).
    pub url: Option<String>,
    /// `icon.mediaType`.
    pub media_type: Option<String>,
    pub updated: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads one tag; `None` if it is no `Emoji` or has no name.
pub fn parse_emoji(tag: &Value) -> Option<EmojiIn> {
    if tag.get("type").and_then(Value::as_str) != Some("Emoji") {
        return None;
    }
    let name = tag.get("name").and_then(Value::as_str)?.to_owned();
    let icon = tag.get("icon");
    let url = icon
        .and_then(first_url)
        .or_else(|| tag.get("url").and_then(first_url))
        .map(String::from);
    Some(EmojiIn {
        name,
        id: tag.get("id").and_then(Value::as_str).map(str::to_owned),
        url,
        media_type: icon
            .and_then(|i| i.get("mediaType"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        updated: tag
            .get("updated")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&chrono::Utc)),
    })
}

/// The `Emoji` tags in a `tag` value (an object or an array; other tags are skipped).
pub fn emojis_in(tag: Option<&Value>) -> Vec<EmojiIn> {
    match tag {
        Some(Value::Array(items)) => items.iter().filter_map(parse_emoji).collect(),
        Some(other) => parse_emoji(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// An `Emoji` tag Kith sends for one of its own emoji.
#[derive(Debug, Clone, PartialEq)]
pub struct EmojiOut {
    /// `https://DOMAIN/emojis/ID`, which serves this same object.
    pub id: String,
    pub shortcode: String,
    /// The image's absolute URL.
    pub url: String,
    pub media_type: String,
    pub updated: chrono::DateTime<chrono::Utc>,
}

impl EmojiOut {
    /// The tag as JSON (without `@context`).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "type": "Emoji",
            "name": format!(":{}:", self.shortcode),
            "updated": self.updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "icon": {"type": "Image", "mediaType": self.media_type, "url": self.url},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_tags_are_read_from_objects_and_arrays() {
        let one = json!({"type": "Emoji", "name": ":tea:", "icon": {"url": "https://a.example/t.png", "mediaType": "image/png"}});
        assert_eq!(emojis_in(Some(&one)).len(), 1);
        let list = json!([{"type": "Hashtag", "name": "#x"}, one, {"type": "Emoji"}]);
        let found = emojis_in(Some(&list));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].url.as_deref(), Some("https://a.example/t.png"));
        assert_eq!(found[0].media_type.as_deref(), Some("image/png"));
        // A `javascript:` icon is no URL.
        let bad = json!({"type": "Emoji", "name": ":x:", "icon": {"url": "javascript:alert(1)"}});
        assert_eq!(emojis_in(Some(&bad))[0].url, None);
    }

    #[test]
    fn emoji_out_has_mastodons_shape() {
        let e = EmojiOut {
            id: "https://k.example/emojis/1".into(),
            shortcode: "tea".into(),
            url: "https://k.example/media/t.png".into(),
            media_type: "image/png".into(),
            updated: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
        };
        let v = e.to_json();
        assert_eq!(v["name"], ":tea:");
        assert_eq!(v["icon"]["type"], "Image");
        assert_eq!(v["updated"], "1970-01-01T00:00:00Z");
    }
}
