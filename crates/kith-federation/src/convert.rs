//! Incoming ActivityStreams → rows, as pure conversions (GoToSocial's `typeutils/astointernal`):
//! a received `Note` becomes the status row Kith would store, with the addressees that may be
//! mentioned accounts and its hashtags, sanitized and cut to the caps in `kith_core::limits`.
//! Nothing here reads or writes the database or the network; storing and fan-out happen after,
//! in `objects::status`.

use crate::protocol::emoji::EmojiIn;
use crate::protocol::note::{is_public, visibility_of, Attachment, NoteIn, Tag};
use crate::protocol::question::QuestionIn;
use crate::protocol::values::{single_line, truncate_chars};
use crate::FederationError;
use chrono::{DateTime, Utc};
use kith_core::html::{html_to_text, sanitize_remote, sanitize_remote_within};
use kith_core::limits::{
    MAX_ATTACHMENTS, MAX_CONTENT_CHARS, MAX_DESCRIPTION_CHARS, MAX_EMOJIS, MAX_HASHTAGS,
    MAX_LANGUAGE_BYTES, MAX_MENTIONS, MAX_POLL_OPTIONS, MAX_POLL_OPTION_CHARS, MAX_SUMMARY_CHARS,
    MAX_URL_BYTES,
};
use kith_storage::accounts::Account;
use kith_storage::remote_emojis::RemoteEmoji;
use kith_storage::statuses::{Status, StatusEdit};

/// A remote post as Kith would store it.
#[derive(Debug, Clone)]
pub struct NewRemoteStatus {
    /// The row. `in_reply_to_id` and `in_reply_to_account_id` are left empty: they are found
    /// when it is stored, if the parent is stored here.
    pub status: Status,
    /// Actor ids that may be accounts known here (addressees in `to` and `cc`, then `Mention`
    /// tags), each once, at most [`MAX_MENTIONS`]; those that are known become its mentions.
    pub mentions: Vec<String>,
    /// Hashtag names, lower-case, each once, at most [`MAX_HASHTAGS`].
    pub hashtags: Vec<String>,
    /// Its poll, if it is a `Question` with options.
    pub poll: Option<RemotePoll>,
}

/// A remote poll as Kith would store it: at most [`MAX_POLL_OPTIONS`] options of at most
/// [`MAX_POLL_OPTION_CHARS`] characters of plain text each.
#[derive(Debug, Clone, PartialEq)]
pub struct RemotePoll {
    /// Whether a voter may choose several options.
    pub multiple: bool,
    /// Option titles.
    pub titles: Vec<String>,
    /// The state its server sent.
    pub state: kith_storage::polls::RemoteState,
}

/// The poll a `Question` carries, received at `now`. A poll its server says is closed ends
/// when it closed (at the latest `now`), so the poll job closes it here and tells the voters.
pub fn question_to_poll(q: &QuestionIn, now: DateTime<Utc>) -> RemotePoll {
    let options: Vec<&(String, i64)> = q.options.iter().take(MAX_POLL_OPTIONS).collect();
    let titles = options
        .iter()
        .map(|(name, _)| single_line(&truncate_chars(name, MAX_POLL_OPTION_CHARS)))
        .collect();
    let end = match q.closed {
        Some(closed) => Some(closed.or(q.end_time).filter(|c| *c < now).unwrap_or(now)),
        None => q.end_time,
    };
    RemotePoll {
        multiple: q.multiple,
        titles,
        state: kith_storage::polls::RemoteState {
            counts: options.iter().map(|(_, n)| *n).collect(),
            voters_count: q.voters_count,
            expires_at: end.map(|e| e.naive_utc()),
        },
    }
}

/// The status row, mention candidates and hashtags of a Note by `author`, received at `now`.
/// The caller has checked that `author` may post it (`check_authorship`). Only a Note whose id
/// is longer than [`MAX_URL_BYTES`] is refused; whatever else is over a cap is cut.
pub fn note_to_status(
    note: &NoteIn,
    author: &Account,
    now: DateTime<Utc>,
) -> Result<NewRemoteStatus, FederationError> {
    if note.id.as_str().len() > MAX_URL_BYTES {
        return Err(FederationError::Invalid("note id is too long".into()));
    }
    let created = note.published.filter(|p| *p < now).unwrap_or(now);
    let followers = author.followers_url.as_deref();
    let visibility = visibility_of(&note.to, &note.cc, followers);
    let status = Status {
        id: kith_storage::id::id_at(created),
        ap_id: note.id.to_string(),
        url: note.url.clone().filter(|u| fits(u)),
        account_id: author.id,
        local: false,
        visibility: visibility.as_str().to_owned(),
        in_reply_to_id: None,
        in_reply_to_ap_id: note.in_reply_to.clone().filter(|u| fits(u)),
        in_reply_to_account_id: None,
        reblog_of_id: None,
        content: content(note),
        source_text: None,
        spoiler_text: spoiler(note),
        sensitive: sensitive(note),
        language: note
            .language
            .clone()
            .filter(|l| !l.is_empty() && l.len() <= MAX_LANGUAGE_BYTES),
        conversation: note.conversation.clone().filter(|c| fits(c)),
        attachments: attachments(note)?,
        created_at: created.naive_utc(),
        edited_at: None,
    };
    let mut mentions: Vec<String> = Vec::new();
    let tagged = note.tags.iter().filter_map(|t| match t {
        Tag::Mention(href) => Some(href),
        Tag::Hashtag(_) => None,
    });
    // The public collection and the author's followers are never accounts.
    for id in note.to.iter().chain(&note.cc).chain(tagged) {
        if mentions.len() == MAX_MENTIONS {
            break;
        }
        if !is_public(id) && Some(id.as_str()) != followers && fits(id) && !mentions.contains(id) {
            mentions.push(id.clone());
        }
    }
    let mut hashtags: Vec<String> = Vec::new();
    for tag in &note.tags {
        if hashtags.len() == MAX_HASHTAGS {
            break;
        }
        if let Tag::Hashtag(name) = tag {
            // One form for every tag, whatever case or width the sender used.
            let name = kith_core::tags::normalize(name);
            if kith_core::tags::is_valid(&name) && !hashtags.contains(&name) {
                hashtags.push(name);
            }
        }
    }
    Ok(NewRemoteStatus {
        status,
        mentions,
        hashtags,
        poll: note.question.as_ref().map(|q| question_to_poll(q, now)),
    })
}

/// The remote custom emoji kept of `tags` (a post's or actor's `Emoji` tags) for `texts` (the
/// stored text they decorate: content and content warning, or display name and bio), received
/// at `now`: a valid shortcode (`kith_core::custom_emojis::valid_shortcode`, colons around it
/// or not) that `texts` use, each once, with an image URL that is https (http too when
/// `allow_http`, in dev mode) and at most [`MAX_URL_BYTES`]; at most [`MAX_EMOJIS`]. The rows'
/// `domain` is left empty: the storing code puts the author's.
pub fn emojis(
    tags: &[EmojiIn],
    texts: &[&str],
    allow_http: bool,
    now: DateTime<Utc>,
) -> Vec<RemoteEmoji> {
    let used: Vec<String> = texts
        .iter()
        .flat_map(|t| kith_storage::custom_emojis::shortcodes_in(t))
        .collect();
    let scheme_ok = |u: &url::Url| u.scheme() == "https" || (allow_http && u.scheme() == "http");
    let mut kept: Vec<RemoteEmoji> = Vec::new();
    for tag in tags {
        if kept.len() == MAX_EMOJIS {
            break;
        }
        let name = tag.name.strip_prefix(':').unwrap_or(&tag.name);
        let name = name.strip_suffix(':').unwrap_or(name);
        if !kith_core::custom_emojis::valid_shortcode(name)
            || !used.iter().any(|u| u == name)
            || kept.iter().any(|k| k.shortcode == name)
        {
            continue;
        }
        let Some(url) = tag
            .url
            .as_deref()
            .filter(|u| fits(u))
            .and_then(|u| url::Url::parse(u).ok())
            .filter(scheme_ok)
        else {
            continue;
        };
        kept.push(RemoteEmoji {
            id: kith_storage::id::new_id(),
            domain: String::new(),
            shortcode: name.to_owned(),
            ap_id: tag
                .id
                .as_deref()
                .filter(|u| fits(u))
                .and_then(|u| url::Url::parse(u).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(String::from),
            image_url: url.to_string(),
            media_type: tag
                .media_type
                .clone()
                .filter(|m| m.len() <= 255 && m.starts_with("image/") && !m.contains('\0')),
            updated_at: tag.updated.filter(|u| *u < now).unwrap_or(now).naive_utc(),
        });
    }
    kept
}

/// Runs a conversion on the blocking pool: cleaning HTML costs more than linear time in the
/// worst case (a post of 100,000 `&`), which must not hold up an async thread.
pub async fn off_thread<T: Send + 'static>(
    convert: impl FnOnce() -> Result<T, FederationError> + Send + 'static,
) -> Result<T, FederationError> {
    tokio::task::spawn_blocking(convert).await.map_err(|e| {
        FederationError::Core(kith_core::CoreError::Internal(format!(
            "conversion task failed: {e}"
        )))
    })?
}

/// What an `Update` of a Note changes in the stored row, received at `now`.
pub fn note_to_edit(note: &NoteIn, now: DateTime<Utc>) -> Result<StatusEdit, FederationError> {
    Ok(StatusEdit {
        content: content(note),
        source_text: None,
        spoiler_text: spoiler(note),
        sensitive: sensitive(note),
        attachments: attachments(note)?,
        edited_at: Some(note.updated.unwrap_or(now).naive_utc()),
    })
}

fn fits(url: &str) -> bool {
    url.len() <= MAX_URL_BYTES
}

fn content(note: &NoteIn) -> String {
    sanitize_remote_within(&note.content, MAX_CONTENT_CHARS)
}

/// The content warning as plain text.
fn spoiler(note: &NoteIn) -> String {
    note.summary
        .as_deref()
        .map(|s| {
            // Cut before cleaning too, so a huge summary costs no more than a small one.
            let s = truncate_chars(s, MAX_CONTENT_CHARS);
            truncate_chars(&html_to_text(&sanitize_remote(&s)), MAX_SUMMARY_CHARS)
        })
        .unwrap_or_default()
}

fn sensitive(note: &NoteIn) -> bool {
    note.sensitive || note.summary.is_some()
}

/// The attachments kept, as the JSON the row stores.
fn attachments(note: &NoteIn) -> Result<String, FederationError> {
    let kept: Vec<Attachment> = note
        .attachments
        .iter()
        .filter(|a| fits(&a.url))
        .take(MAX_ATTACHMENTS)
        .map(|a| Attachment {
            url: a.url.clone(),
            media_type: a.media_type.clone().filter(|m| m.len() <= 255),
            description: a
                .description
                .as_deref()
                .map(|d| truncate_chars(d, MAX_DESCRIPTION_CHARS)),
            blurhash: a.blurhash.clone(),
            width: a.width,
            height: a.height,
            focal_point: a.focal_point,
        })
        .collect();
    Ok(serde_json::to_string(&kept)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::note::parse_note;
    use serde_json::{json, Value};

    fn author(ap_id: &str, followers: Option<&str>) -> Account {
        let now = Utc::now().naive_utc();
        Account {
            id: 7,
            username: "alice".into(),
            domain: url::Url::parse(ap_id)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned)),
            ap_id: ap_id.into(),
            actor_type: "Person".into(),
            display_name: String::new(),
            note: String::new(),
            avatar_url: None,
            header_url: None,
            url: None,
            locked: false,
            bot: false,
            inbox_url: format!("{ap_id}/inbox"),
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: followers.map(str::to_owned),
            following_url: None,
            public_key_id: format!("{ap_id}#main-key"),
            public_key_pem: String::new(),
            private_key_pem: None,
            created_at: now,
            updated_at: now,
            fetched_at: None,
            fields: "[]".into(),
        }
    }

    fn fixtures() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/activitypub")
    }

    fn read(path: &std::path::Path) -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Every post in the captured fixtures converts; what each server puts in it survives.
    #[test]
    fn fixture_notes_convert_to_rows() {
        let mut converted = 0;
        for family in [
            "mastodon",
            "gotosocial",
            "misskey",
            "akkoma",
            "lemmy",
            "pixelfed",
        ] {
            let dir = fixtures().join(family);
            let actor = read(&dir.join("actor.json"));
            let followers = actor["followers"].as_str();
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let doc = read(&path);
                // Lemmy's comments arrive inside the community's Announce.
                let object = match doc["object"]["object"].get("type") {
                    Some(_) if doc["type"] == "Announce" => &doc["object"]["object"],
                    _ => &doc["object"],
                };
                if !name.starts_with("create") || !object.is_object() {
                    continue;
                }
                let note = parse_note(object).unwrap_or_else(|e| panic!("{family}/{name}: {e}"));
                let who = author(note.attributed_to.as_str(), followers);
                let new = note_to_status(&note, &who, Utc::now())
                    .unwrap_or_else(|e| panic!("{family}/{name}: {e}"));
                let s = &new.status;
                assert_eq!(s.ap_id, object["id"].as_str().unwrap(), "{family}/{name}");
                assert_eq!(s.account_id, 7);
                assert!(!s.local);
                assert!(!s.content.contains("<script"), "{family}/{name}");
                let want = match name.as_str() {
                    n if n.ends_with("followers_only") => "private",
                    n if n.ends_with("direct") => "direct",
                    _ => s.visibility.as_str(),
                };
                assert_eq!(s.visibility, want, "{family}/{name}");
                for m in &new.mentions {
                    assert!(!is_public(m) && Some(m.as_str()) != followers);
                }
                let tags = note.tags.iter().filter(|t| matches!(t, Tag::Hashtag(_)));
                assert_eq!(new.hashtags.len(), tags.count(), "{family}/{name}");
                let kept: Vec<Attachment> = serde_json::from_str(&s.attachments).unwrap();
                assert_eq!(kept, note.attachments, "{family}/{name}");
                converted += 1;
            }
        }
        assert!(converted >= 8, "only {converted} fixture posts converted");
    }

    #[test]
    fn fixture_mentions_hashtags_and_media_are_read() {
        let doc = read(&fixtures().join("mastodon/create_note.json"));
        let note = parse_note(&doc["object"]).unwrap();
        let who = author(
            note.attributed_to.as_str(),
            Some("https://mastodon.example/users/alice/followers"),
        );
        let new = note_to_status(&note, &who, Utc::now()).unwrap();
        assert!(new.mentions.iter().any(|m| m.ends_with("/users/bob")));
        assert!(!new.hashtags.is_empty());
        assert_eq!(new.status.visibility, "public");
        let doc = read(&fixtures().join("mastodon/create_note_cw_image.json"));
        let note = parse_note(&doc["object"]).unwrap();
        let new = note_to_status(&note, &who, Utc::now()).unwrap();
        assert!(new.status.sensitive && !new.status.spoiler_text.is_empty());
        assert!(new.status.attachments.contains("\"description\""));
    }

    /// The `Emoji` tags of Mastodon's and Misskey's notes are kept for the text they decorate.
    #[test]
    fn fixture_emoji_tags_are_kept() {
        for (file, want) in [
            (
                "mastodon/create_note_emoji.json",
                vec![
                    ("blobcat", "https://files.mastodon.example/custom_emojis/images/000/004/212/original/6c7a1f0b2e9d.png"),
                    ("blobcat_tea", "https://files.mastodon.example/custom_emojis/images/000/004/213/original/0d4e55aa1c3b.gif"),
                ],
            ),
            (
                "misskey/create_note_emoji.json",
                vec![
                    ("ablobcatwave", "https://misskey.example/files/webpublic-3f1d2b8c-5a7e-4c2a-9b1e-0c6d8e2f4a11"),
                    ("resonyance", "https://misskey.example/files/7b2e9c41-1d0a-4f3e-8c55-2a9d6e0b7f33"),
                ],
            ),
        ] {
            let doc = read(&fixtures().join(file));
            let note = parse_note(&doc["object"]).unwrap();
            let who = author(note.attributed_to.as_str(), None);
            let new = note_to_status(&note, &who, Utc::now()).unwrap();
            let s = &new.status;
            let kept = emojis(&note.emojis, &[&s.content, &s.spoiler_text], false, Utc::now());
            let got: Vec<(&str, &str)> = kept
                .iter()
                .map(|e| (e.shortcode.as_str(), e.image_url.as_str()))
                .collect();
            let mut want = want;
            want.sort_unstable();
            let mut got = got;
            got.sort_unstable();
            assert_eq!(got, want, "{file}");
            assert!(kept.iter().all(|e| e.ap_id.is_some()
                && e.media_type.is_some()
                && e.updated_at < Utc::now().naive_utc()));
        }
    }

    /// Hostile `Emoji` tags: too many, bad shortcodes, bad URLs, not in the text.
    #[test]
    fn hostile_emoji_tags_are_refused_or_capped() {
        let tag = |name: &str, url: &str| EmojiIn {
            name: name.into(),
            id: None,
            url: Some(url.into()),
            media_type: Some("image/png".into()),
            updated: Some(Utc::now() + chrono::Duration::days(400)),
        };
        let now = Utc::now();
        let many: Vec<EmojiIn> = (0..500)
            .map(|n| tag(&format!(":e{n}:"), &format!("https://e.example/{n}.png")))
            .collect();
        let text: String = (0..500).map(|n| format!(":e{n}: ")).collect();
        let kept = emojis(&many, &[&text], false, now);
        assert_eq!(kept.len(), MAX_EMOJIS);
        // A date in the future is taken as now.
        assert!(kept.iter().all(|e| e.updated_at == now.naive_utc()));
        let long = "a".repeat(65);
        let bad = [
            tag(":bad-code:", "https://e.example/1.png"),
            tag(&format!(":{long}:"), "https://e.example/1.png"),
            tag(":x:", "https://e.example/1.png"),
            tag(":js:", "javascript:alert(1)"),
            tag(":plain:", "http://e.example/1.png"),
            tag(":data:", "data:image/png;base64,AAAA"),
            tag(":absent:", "https://e.example/1.png"),
            tag(
                ":huge:",
                &format!("https://e.example/{}", "x".repeat(MAX_URL_BYTES)),
            ),
        ];
        let text = format!(":bad-code: :{long}: :x: :js: :plain: :data: :huge:");
        assert!(emojis(&bad, &[&text], false, now).is_empty());
        // In dev mode, http is allowed; a repeated shortcode counts once.
        let twice = [
            tag(":plain:", "http://e.example/1.png"),
            tag("plain", "http://e.example/2.png"),
        ];
        let kept = emojis(&twice, &[":plain:"], true, now);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].image_url, "http://e.example/1.png");
    }

    #[test]
    fn hostile_html_is_cleaned() {
        let doc = read(&fixtures().join("hostile/xss_content.json"));
        let note = parse_note(&doc["object"]).unwrap();
        let who = author(note.attributed_to.as_str(), None);
        let new = note_to_status(&note, &who, Utc::now()).unwrap();
        for bad in [
            "<script",
            "onerror",
            "onmouseover",
            "javascript:",
            "<iframe",
        ] {
            assert!(!new.status.content.contains(bad), "{bad}");
            assert!(!new.status.spoiler_text.contains(bad), "{bad}");
        }
    }

    /// A post far over every cap is kept, cut to the caps.
    #[test]
    fn oversized_note_is_cut_to_the_caps() {
        let base = "https://evil.example";
        let mut tags: Vec<Value> = (0..15_000)
            .map(|n| json!({"type": "Hashtag", "name": format!("#t{n}")}))
            .collect();
        tags.extend(
            (0..5_000).map(|n| json!({"type": "Mention", "href": format!("{base}/users/u{n}")})),
        );
        let attachments: Vec<Value> = (0..1_000)
            .map(|n| json!({"type": "Document", "url": format!("{base}/m/{n}.png"), "name": "d".repeat(5_000)}))
            .collect();
        let content = format!("<p><b>{}</b></p>", "a".repeat(5_000_000));
        let long_url = format!("{base}/{}", "x".repeat(MAX_URL_BYTES));
        let note = parse_note(&json!({
            "type": "Note", "id": format!("{base}/notes/1"), "attributedTo": format!("{base}/users/e"),
            "content": content, "summary": "s".repeat(1_000_000),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "inReplyTo": long_url, "url": long_url, "conversation": long_url,
            "contentMap": {"x".repeat(100): "hi"},
            "tag": tags, "attachment": attachments
        }))
        .unwrap();
        let who = author(&format!("{base}/users/e"), None);
        let new = note_to_status(&note, &who, Utc::now()).unwrap();
        let s = &new.status;
        assert!(s.content.chars().count() <= MAX_CONTENT_CHARS);
        assert!(s.content.chars().count() > MAX_CONTENT_CHARS / 2);
        assert!(s.spoiler_text.chars().count() <= MAX_SUMMARY_CHARS);
        assert_eq!(new.hashtags.len(), MAX_HASHTAGS);
        assert_eq!(new.mentions.len(), MAX_MENTIONS);
        let kept: Vec<Attachment> = serde_json::from_str(&s.attachments).unwrap();
        assert_eq!(kept.len(), MAX_ATTACHMENTS);
        assert!(kept.iter().all(|a| a
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() == MAX_DESCRIPTION_CHARS)));
        assert_eq!(s.in_reply_to_ap_id, None);
        assert_eq!(s.url, None);
        assert_eq!(s.conversation, None);
        assert_eq!(s.language, None);

        // Repeats count once; the public collection and followers are not mentions.
        let note = parse_note(&json!({
            "type": "Note", "id": format!("{base}/notes/2"), "attributedTo": format!("{base}/users/e"),
            "content": "x", "to": [format!("{base}/users/e/followers"), "as:Public"],
            "cc": [format!("{base}/users/a")],
            "tag": [{"type": "Hashtag", "name": "#A"}, {"type": "Hashtag", "name": "#a"},
                    {"type": "Mention", "href": format!("{base}/users/a")}]
        }))
        .unwrap();
        let who = author(
            &format!("{base}/users/e"),
            Some(&format!("{base}/users/e/followers")),
        );
        let new = note_to_status(&note, &who, Utc::now()).unwrap();
        assert_eq!(new.hashtags, ["a"]);
        assert_eq!(new.mentions, [format!("{base}/users/a")]);

        // An id too long to be a real one is refused.
        let note = parse_note(&json!({
            "type": "Note", "id": long_url, "attributedTo": format!("{base}/users/e"), "content": "x"
        }))
        .unwrap();
        assert!(matches!(
            note_to_status(&note, &who, Utc::now()),
            Err(FederationError::Invalid(_))
        ));
    }
}
