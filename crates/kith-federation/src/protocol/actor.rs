//! Actors: `Person`, `Service`, `Application`, `Group`, `Organization`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An actor's public key, as `publicKey` carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    /// Key id, usually `ACTOR#main-key`.
    pub id: String,
    /// The actor that owns the key.
    pub owner: Url,
    /// SPKI PEM.
    pub public_key_pem: String,
}

/// Endpoints of an actor; Kith reads and writes only `sharedInbox`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// The instance's shared inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

/// An image attached to an actor (`icon`, `image`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Always `Image`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where the image is.
    pub url: Url,
    /// Its MIME type, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// An actor document. Fields servers disagree on (`icon`, `image`, `url`, `name`, `summary`)
/// are kept as raw JSON and read leniently.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// `Person`, `Service`, `Application`, `Group` or `Organization`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor's id.
    pub id: Url,
    /// The handle.
    pub preferred_username: String,
    /// Display name (plain text).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub name: Value,
    /// Bio (HTML).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub summary: Value,
    /// Profile page for people.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub url: Value,
    /// Where activities for this actor go.
    pub inbox: Url,
    /// The actor's outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    /// Followers collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    /// Following collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    /// Shared inbox and friends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// The key that signs this actor's requests.
    pub public_key: PublicKey,
    /// Avatar.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub icon: Value,
    /// Header image.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub image: Value,
    /// Locked account: follows need approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manually_approves_followers: Option<bool>,
    /// Whether the actor wants to be suggested to others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    /// When the account was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<chrono::DateTime<chrono::Utc>>,
    /// Tags: Kith reads and writes the `Emoji`s of the name and bio (`protocol::emoji`).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub tag: Value,
    /// The collection of hashtags the actor features (Mastodon's `toot:featuredTags`); Kith
    /// serves its own and does not read other servers'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured_tags: Option<Url>,
    /// Profile fields as `PropertyValue`s (and whatever else a server attaches, which Kith
    /// passes over); read by [`property_values`].
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub attachment: Value,
}

/// The `PropertyValue`s among an actor's `attachment` (an array, or one object), as
/// (name, value) pairs of strings; other items and non-string names or values are passed over.
/// At most `limit` are read.
pub fn property_values(attachment: &Value, limit: usize) -> Vec<(String, String)> {
    let items: Vec<&Value> = match attachment {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![attachment],
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter(|item| {
            matches!(
                item.get("type").and_then(Value::as_str),
                Some("PropertyValue" | "schema:PropertyValue")
            )
        })
        .filter_map(|item| {
            let name = item.get("name")?.as_str()?;
            let value = item.get("value")?.as_str()?;
            Some((name.to_owned(), value.to_owned()))
        })
        .take(limit)
        .collect()
}

/// Profile fields as an actor's `attachment`: one `PropertyValue` each (value as HTML).
pub fn attachment_of(fields: &[(String, String)]) -> Value {
    if fields.is_empty() {
        return Value::Array(Vec::new());
    }
    Value::Array(
        fields
            .iter()
            .map(|(name, value)| {
                serde_json::json!({ "type": "PropertyValue", "name": name, "value": value })
            })
            .collect(),
    )
}
