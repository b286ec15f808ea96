//! ActivityStreams wire shapes, as they are sent and as real servers send them. Parsing is
//! lenient where servers differ (a string where an array is expected, an object where a URL is
//! expected) and strict about what matters for safety (ids, keys).

pub mod actor;
pub mod emoji;
pub mod note;
pub mod question;
pub mod values;

/// The JSON-LD `@context` Kith sends, the one Mastodon uses for the terms Kith emits.
pub fn federation_context() -> serde_json::Value {
    serde_json::json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "votersCount": "toot:votersCount",
            "Emoji": "toot:Emoji",
            "featuredTags": { "@id": "toot:featuredTags", "@type": "@id" },
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}
