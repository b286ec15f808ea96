//! `Note` objects and how their addressing maps onto Mastodon's four visibilities.

use super::values::{first_string, first_url};
use serde_json::{json, Map, Value};
use url::Url;

/// The public collection, in every spelling servers use.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether an addressee is the public collection (`as:Public`, `Public` and the full IRI).
pub fn is_public(addressee: &str) -> bool {
    matches!(addressee, PUBLIC | "as:Public" | "Public")
}

/// Reads `to`/`cc`/`bto`/`bcc`/`audience`: a string, an object with an id, or an array of those.
pub fn addressees(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().flat_map(|i| addressees(Some(i))).collect(),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_owned()])
            .unwrap_or_default(),
        Some(_) => Vec::new(),
    }
}

pub use kith_core::types::Visibility;

/// The visibility of something addressed `to`/`cc`, for an author whose followers
/// collection is `followers`.
pub fn visibility_of(to: &[String], cc: &[String], followers: Option<&str>) -> Visibility {
    if to.iter().any(|a| is_public(a)) {
        Visibility::Public
    } else if cc.iter().any(|a| is_public(a)) {
        Visibility::Unlisted
    } else if followers.is_some_and(|f| to.iter().chain(cc).any(|a| a == f)) {
        Visibility::Private
    } else {
        Visibility::Direct
    }
}

/// `(to, cc)` for a post of `visibility` by an actor with `followers`, mentioning `mentioned`.
pub fn addressing(
    visibility: Visibility,
    followers: &str,
    mentioned: &[String],
) -> (Vec<String>, Vec<String>) {
    let mut cc: Vec<String> = mentioned.to_vec();
    let to = match visibility {
        Visibility::Public => {
            cc.insert(0, followers.to_owned());
            vec![PUBLIC.to_owned()]
        }
        Visibility::Unlisted => {
            cc.insert(0, PUBLIC.to_owned());
            vec![followers.to_owned()]
        }
        Visibility::Private => vec![followers.to_owned()],
        Visibility::Direct => return (mentioned.to_vec(), Vec::new()),
    };
    (to, cc)
}

/// A remote media attachment, kept by URL.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Attachment {
    /// Where the file is.
    pub url: String,
    /// `image/png`, …
    pub media_type: Option<String>,
    /// Alt text.
    pub description: Option<String>,
    /// Blurhash, width and height, and focal point (x, y in -1..1), as Mastodon sends them.
    #[serde(default)]
    pub blurhash: Option<String>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub focal_point: Option<[f64; 2]>,
}

/// A width or height: a positive integer up to 100,000.
fn dimension(v: Option<&Value>) -> Option<u32> {
    v.and_then(Value::as_u64)
        .filter(|n| (1..=100_000).contains(n))
        .and_then(|n| u32::try_from(n).ok())
}

/// `[x, y]`, each within -1..1.
fn focal_point(v: &Value) -> Option<[f64; 2]> {
    let a = v.as_array()?;
    let (x, y) = (a.first()?.as_f64()?, a.get(1)?.as_f64()?);
    ((-1.0..=1.0).contains(&x) && (-1.0..=1.0).contains(&y)).then_some([x, y])
}

/// A mention or hashtag from `tag`.
#[derive(Debug, Clone, PartialEq)]
pub enum Tag {
    /// `Mention` with the mentioned actor's id.
    Mention(String),
    /// `Hashtag`, without the `#`.
    Hashtag(String),
}

/// A `Note` (or `Article`/`Page`/`Question`, read as a note) as received, read leniently and
/// whole: `convert::note_to_status` cuts it to Kith's limits.
#[derive(Debug, Clone)]
pub struct NoteIn {
    pub id: Url,
    pub attributed_to: Url,
    pub content: String,
    pub summary: Option<String>,
    pub sensitive: bool,
    pub in_reply_to: Option<String>,
    pub published: Option<chrono::DateTime<chrono::Utc>>,
    pub updated: Option<chrono::DateTime<chrono::Utc>>,
    pub url: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub tags: Vec<Tag>,
    /// `Emoji` tags, as sent (`convert` decides which are kept).
    pub emojis: Vec<super::emoji::EmojiIn>,
    pub attachments: Vec<Attachment>,
    pub conversation: Option<String>,
    pub language: Option<String>,
    /// `name`: a poll vote's option (a post has none).
    pub name: Option<String>,
    /// The poll of a `Question`.
    pub question: Option<super::question::QuestionIn>,
}

/// Object types read as posts.
pub const NOTE_TYPES: &[&str] = &["Note", "Article", "Page", "Question", "Event"];

fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        Value::Array(items) => items.iter().find_map(id_of),
        _ => None,
    }
}

/// Parses a Note; the error says what is wrong with it.
pub fn parse_note(v: &Value) -> Result<NoteIn, String> {
    let o = v.as_object().ok_or("object is not a JSON object")?;
    let kind = o
        .get("type")
        .and_then(Value::as_str)
        .ok_or("object has no type")?;
    if !NOTE_TYPES.contains(&kind) {
        return Err(format!("object type {kind:?} is not a post"));
    }
    let id = o
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Url::parse(s).ok())
        .ok_or("object has no valid id")?;
    let attributed_to = o
        .get("attributedTo")
        .and_then(id_of)
        .and_then(|s| Url::parse(&s).ok())
        .ok_or("object has no attributedTo")?;
    // Misskey and others send content maps or source; take `content`, else the first of the map.
    let content = match o.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => o
            .get("contentMap")
            .and_then(Value::as_object)
            .and_then(|m| m.values().find_map(Value::as_str))
            .unwrap_or_default()
            .to_owned(),
        Some(_) => return Err("content is not a string".into()),
    };
    let mut tags = Vec::new();
    if let Some(t) = o.get("tag") {
        let list = match t {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for tag in list {
            let kind = tag.get("type").and_then(Value::as_str).unwrap_or_default();
            match kind {
                "Mention" => {
                    if let Some(href) = tag.get("href").and_then(Value::as_str) {
                        tags.push(Tag::Mention(href.to_owned()));
                    }
                }
                "Hashtag" => {
                    if let Some(name) = tag.get("name").and_then(Value::as_str) {
                        let name = name.trim_start_matches('#').to_lowercase();
                        if !name.is_empty() {
                            tags.push(Tag::Hashtag(name));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut attachments = Vec::new();
    if let Some(a) = o.get("attachment") {
        let list = match a {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for item in &list {
            if let Some(url) = first_url(item) {
                attachments.push(Attachment {
                    url: url.to_string(),
                    media_type: item
                        .get("mediaType")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    description: item.get("name").and_then(first_string).map(|s| {
                        s.chars()
                            .take(kith_core::limits::MAX_DESCRIPTION_CHARS)
                            .collect()
                    }),
                    blurhash: item
                        .get("blurhash")
                        .and_then(Value::as_str)
                        .filter(|b| b.len() <= 100 && b.is_ascii())
                        .map(str::to_owned),
                    width: dimension(item.get("width")),
                    height: dimension(item.get("height")),
                    focal_point: item.get("focalPoint").and_then(focal_point),
                });
            }
        }
    }
    let date = |key: &str| {
        o.get(key)
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&chrono::Utc))
    };
    Ok(NoteIn {
        id,
        attributed_to,
        content,
        summary: o
            .get("summary")
            .and_then(first_string)
            .filter(|s| !s.is_empty()),
        sensitive: o.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
        in_reply_to: o.get("inReplyTo").and_then(id_of),
        published: date("published"),
        updated: date("updated"),
        url: o.get("url").and_then(first_url).map(String::from),
        to: addressees(o.get("to")),
        cc: addressees(o.get("cc")),
        tags,
        emojis: super::emoji::emojis_in(o.get("tag")),
        attachments,
        conversation: o
            .get("context")
            .or_else(|| o.get("conversation"))
            .and_then(id_of),
        language: o
            .get("contentMap")
            .and_then(Value::as_object)
            .and_then(|m| m.keys().next().cloned()),
        name: o.get("name").and_then(first_string),
        question: (kind == "Question")
            .then(|| super::question::parse_question(o))
            .flatten(),
    })
}

/// What Kith sends for one of its posts.
#[derive(Debug, Clone)]
pub struct NoteOut {
    pub id: String,
    pub url: String,
    pub attributed_to: String,
    pub content: String,
    pub summary: Option<String>,
    pub sensitive: bool,
    pub in_reply_to: Option<String>,
    pub published: chrono::DateTime<chrono::Utc>,
    pub updated: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// (type, href, name): mentions and hashtags.
    pub tags: Vec<(String, String, String)>,
    /// `Emoji` tags for the local custom emoji it uses.
    pub emojis: Vec<super::emoji::EmojiOut>,
    pub conversation: Option<String>,
    /// `Document`s for the post's media.
    pub attachments: Vec<Value>,
    /// The post's poll: it is then sent as a `Question`.
    pub question: Option<super::question::QuestionOut>,
}

impl NoteOut {
    /// The Note as JSON (without `@context`; the activity around it carries one).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("type".into(), json!("Note"));
        m.insert("url".into(), json!(self.url));
        m.insert("attributedTo".into(), json!(self.attributed_to));
        m.insert("content".into(), json!(self.content));
        m.insert("summary".into(), json!(self.summary));
        m.insert("sensitive".into(), json!(self.sensitive));
        m.insert("inReplyTo".into(), json!(self.in_reply_to));
        m.insert(
            "published".into(),
            json!(self
                .published
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
        if let Some(u) = self.updated {
            m.insert(
                "updated".into(),
                json!(u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            );
        }
        m.insert("to".into(), json!(self.to));
        m.insert("cc".into(), json!(self.cc));
        let tags: Vec<Value> = self
            .tags
            .iter()
            .map(|(kind, href, name)| json!({"type": kind, "href": href, "name": name}))
            .chain(self.emojis.iter().map(super::emoji::EmojiOut::to_json))
            .collect();
        m.insert("tag".into(), json!(tags));
        m.insert("attachment".into(), json!(self.attachments));
        if let Some(c) = &self.conversation {
            m.insert("context".into(), json!(c));
            m.insert("conversation".into(), json!(c));
        }
        if let Some(q) = &self.question {
            q.apply(&mut m);
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_round_trips_through_addressing() {
        let f = "https://a.example/users/x/followers";
        let m = vec!["https://b.example/users/y".to_owned()];
        for v in [
            Visibility::Public,
            Visibility::Unlisted,
            Visibility::Private,
            Visibility::Direct,
        ] {
            let (to, cc) = addressing(v, f, &m);
            assert_eq!(visibility_of(&to, &cc, Some(f)), v);
        }
        // Pleroma's and compacted spellings of the public collection.
        assert_eq!(
            visibility_of(&["as:Public".into()], &[], None),
            Visibility::Public
        );
        assert_eq!(
            visibility_of(&[], &["Public".into()], None),
            Visibility::Unlisted
        );
    }

    #[test]
    fn notes_parse_leniently_and_strictly_where_it_matters() {
        let n = parse_note(&json!({
            "type": "Note", "id": "https://a.example/n/1", "attributedTo": {"id": "https://a.example/u/x"},
            "content": "<p>hi</p>", "to": "https://www.w3.org/ns/activitystreams#Public",
            "tag": {"type": "Mention", "href": "https://b.example/u/y", "name": "@y@b.example"},
            "attachment": {"type": "Document", "url": "https://a.example/m.png", "mediaType": "image/png", "name": "alt"}
        }))
        .unwrap();
        assert_eq!(n.to, vec![PUBLIC]);
        assert_eq!(n.tags, vec![Tag::Mention("https://b.example/u/y".into())]);
        assert_eq!(n.attachments[0].description.as_deref(), Some("alt"));
        assert!(
            parse_note(&json!({"type": "Note", "attributedTo": "https://a.example/u/x"})).is_err()
        );
        assert!(parse_note(&json!({"type": "Note", "id": "https://a.example/n/1", "attributedTo": "https://a.example/u/x", "content": {"x": 1}})).is_err());
        assert!(parse_note(&json!({"type": "Person", "id": "https://a.example/n/1"})).is_err());
        assert!(parse_note(&json!(7)).is_err());
    }
}
