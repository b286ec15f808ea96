//! What the public pages show of a post or a person, made from the Mastodon entities that
//! `statuses_view` renders for an anonymous viewer (so the pages apply the same visibility
//! re-check, caps and batching as the API). Values here are plain text that the templates
//! escape, except `content` and `note`, which are HTML Kith made or sanitized.

use crate::entities::account::Account;
use crate::entities::status::Status;
use chrono::{DateTime, Utc};

/// Where the pages are: this instance's domain, and its origin (`https://domain`, no trailing
/// slash) that page links start with.
#[derive(Debug, Clone)]
pub(crate) struct Here {
    pub domain: String,
    pub origin: String,
}

impl Here {
    pub(crate) fn of(urls: &kith_core::InstanceUrls) -> Here {
        Here {
            domain: urls.domain().to_owned(),
            origin: urls.base().as_str().trim_end_matches('/').to_owned(),
        }
    }
}

/// A person as a post or a profile shows them.
#[derive(Debug, Clone)]
pub(crate) struct PersonView {
    /// The display name, or the username when there is none.
    pub name: String,
    /// `name` as HTML: escaped, with its custom emoji as pictures.
    pub name_html: String,
    /// `user@domain`, for local people too.
    pub handle: String,
    /// Their page here (`ORIGIN/@user` or `ORIGIN/@user@domain`).
    pub href: String,
    /// Their picture, if it is an http(s) URL.
    pub avatar: Option<String>,
}

impl PersonView {
    pub(crate) fn of(account: &Account, here: &Here) -> PersonView {
        let handle = if account.acct.contains('@') {
            account.acct.clone()
        } else {
            format!("{}@{}", account.acct, here.domain)
        };
        let name = if account.display_name.trim().is_empty() {
            account.username.clone()
        } else {
            account.display_name.clone()
        };
        PersonView {
            name_html: with_emojis(&kith_core::html::escape(&name), &account.emojis),
            name,
            handle,
            href: format!("{}{}", here.origin, profile_path(&account.acct)),
            avatar: web_url(&account.avatar),
        }
    }
}

/// An attachment: shown as a picture when it is one, else as a link.
#[derive(Debug, Clone)]
pub(crate) struct MediaView {
    pub url: String,
    pub preview: String,
    pub description: String,
    pub is_image: bool,
}

/// A post as a page shows it.
#[derive(Debug, Clone)]
pub(crate) struct PostView {
    /// Its page here.
    pub href: String,
    /// Where it was first published, for posts from other servers.
    pub original: Option<String>,
    pub author: PersonView,
    /// Who boosted it, when it appears as a boost.
    pub boosted_by: Option<PersonView>,
    /// HTML: escaped text with Kith's links (local) or sanitized on arrival (remote).
    pub content: String,
    /// `content` with the post's custom emoji as pictures.
    pub content_html: String,
    pub spoiler_text: String,
    /// `spoiler_text` as HTML: escaped, with the post's custom emoji as pictures.
    pub spoiler_html: String,
    pub sensitive: bool,
    pub media: Vec<MediaView>,
    pub datetime: String,
    pub date: String,
    pub edited: bool,
    pub is_reply: bool,
    pub replies: i64,
    pub boosts: i64,
    pub favourites: i64,
    /// The post a thread page is about.
    pub focus: bool,
}

impl PostView {
    /// `status` as shown in a list: a boost shows the boosted post, marked with its booster.
    pub(crate) fn of(status: &Status, here: &Here) -> PostView {
        match &status.reblog {
            Some(original) => {
                let mut post = PostView::of(original, here);
                post.boosted_by = Some(PersonView::of(&status.account, here));
                post
            }
            None => PostView::of_original(status, here),
        }
    }

    fn of_original(status: &Status, here: &Here) -> PostView {
        let author = PersonView::of(&status.account, here);
        let remote = status.account.acct.contains('@');
        let when = DateTime::parse_from_rfc3339(&status.created_at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        PostView {
            href: format!("{}/{}", author.href, status.id),
            original: if remote {
                status.url.as_deref().and_then(web_url)
            } else {
                None
            },
            author,
            boosted_by: None,
            content: status.content.clone(),
            content_html: with_emojis(&status.content, &status.emojis),
            spoiler_text: status.spoiler_text.clone(),
            spoiler_html: with_emojis(
                &kith_core::html::escape(&status.spoiler_text),
                &status.emojis,
            ),
            sensitive: status.sensitive,
            media: status.media_attachments.iter().filter_map(media).collect(),
            datetime: when.to_rfc3339(),
            date: when.format("%-d %B %Y, %H:%M UTC").to_string(),
            edited: status.edited_at.is_some(),
            is_reply: status.in_reply_to_id.is_some(),
            replies: status.replies_count,
            boosts: status.reblogs_count,
            favourites: status.favourites_count,
            focus: false,
        }
    }

    /// The plain-text gist of the post for previews: its content warning if it has one.
    pub(crate) fn gist(&self, max: usize) -> String {
        if self.spoiler_text.is_empty() {
            shorten(&kith_core::html::html_to_text(&self.content), max)
        } else {
            shorten(&format!("Content warning: {}", self.spoiler_text), max)
        }
    }

    /// A picture for previews: the first image, unless the post is marked sensitive.
    pub(crate) fn preview_image(&self) -> Option<String> {
        if self.sensitive {
            return None;
        }
        self.media
            .iter()
            .find(|m| m.is_image)
            .map(|m| m.preview.clone())
    }
}

fn media(value: &serde_json::Value) -> Option<MediaView> {
    let text = |key: &str| value.get(key).and_then(|v| v.as_str());
    let url = web_url(text("url").or(text("remote_url"))?)?;
    let preview = text("preview_url").and_then(web_url).unwrap_or(url.clone());
    Some(MediaView {
        is_image: text("type") == Some("image") || text("type") == Some("gifv"),
        description: text("description").unwrap_or_default().to_owned(),
        url,
        preview,
    })
}

/// `url` if it is an absolute http(s) URL, so that nothing else (`javascript:`, `data:`)
/// ever lands in a link or a picture of a page.
pub(crate) fn web_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// `html` (Kith's own or sanitized HTML, or escaped text) with each `:shortcode:` of `emojis`
/// (Mastodon `CustomEmoji` values: this instance's, or the ones a remote post or account was
/// linked to) in its text shown as a small picture. Only text between tags is touched, never
/// a tag or an attribute value; a shortcode that is not letters, digits and `_`, or whose
/// image is not an http(s) URL, stays text.
pub(crate) fn with_emojis(html: &str, emojis: &[serde_json::Value]) -> String {
    let known: std::collections::HashMap<&str, String> = emojis
        .iter()
        .filter_map(|e| {
            let code = e.get("shortcode")?.as_str()?;
            let valid = !code.is_empty()
                && code.len() <= 64
                && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            let url = web_url(e.get("url")?.as_str()?)?;
            valid.then_some((code, url))
        })
        .collect();
    if known.is_empty() {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len());
    let mut text = String::new();
    // Outside a tag, inside one, or inside one's quoted attribute value (its quote).
    let mut in_tag = false;
    let mut quote: Option<char> = None;
    for ch in html.chars() {
        if in_tag {
            out.push(ch);
            match quote {
                Some(q) if ch == q => quote = None,
                Some(_) => {}
                None if ch == '"' || ch == '\'' => quote = Some(ch),
                None if ch == '>' => in_tag = false,
                None => {}
            }
        } else if ch == '<' {
            out.push_str(&text_with_emojis(&text, &known));
            text.clear();
            out.push(ch);
            in_tag = true;
        } else {
            text.push(ch);
        }
    }
    out.push_str(&text_with_emojis(&text, &known));
    out
}

/// One run of text (no tags) with its known `:shortcode:`s as pictures.
fn text_with_emojis(text: &str, known: &std::collections::HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(':') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let code_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let code = &after[..code_len];
        match known.get(code) {
            Some(url) if code_len > 0 && after[code_len..].starts_with(':') => {
                let alt = format!(":{code}:");
                out.push_str(&format!(
                    "<img class=\"emoji\" src=\"{}\" alt=\"{alt}\" title=\"{alt}\" loading=\"lazy\">",
                    kith_core::html::escape(url)
                ));
                rest = &after[code_len + 1..];
            }
            _ => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The path of someone's page here: `/@user` or `/@user@domain`, with anything outside
/// the characters handles are made of percent-encoded.
pub(crate) fn profile_path(acct: &str) -> String {
    let mut path = String::from("/@");
    for b in acct.bytes() {
        if b.is_ascii_alphanumeric() || b"_-.@:".contains(&b) {
            path.push(b as char);
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    path
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The preview facts of a page: `<title>`, description and Open Graph tags.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub title: String,
    pub description: String,
    /// The page's own address.
    pub url: String,
    /// `website`, `profile` or `article`.
    pub kind: &'static str,
    pub image: Option<String>,
    /// The ActivityStreams document of the page's subject, for `link rel=alternate`.
    pub alternate: Option<String>,
    /// When a post was published (for `article:published_time`).
    pub published: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_kept() {
        assert_eq!(
            web_url("https://example.com/a b").as_deref(),
            Some("https://example.com/a%20b")
        );
        assert_eq!(web_url("javascript:alert(1)"), None);
        assert_eq!(web_url("data:text/html,<script>"), None);
        assert_eq!(web_url("/relative"), None);
    }

    #[test]
    fn emoji_become_pictures_in_text_only() {
        let emojis = vec![
            serde_json::json!({"shortcode": "tea", "url": "https://cdn.example/tea.png?a=1&b=\"2"}),
            serde_json::json!({"shortcode": "bad", "url": "javascript:alert(1)"}),
            serde_json::json!({"shortcode": "a\"b", "url": "https://cdn.example/x.png"}),
        ];
        let out = with_emojis(
            "<p title=\":tea:\">x:tea:y :bad: :a&quot;b: :tea</p><a href='https://h/:tea:'>:tea::tea:</a>",
            &emojis,
        );
        let img = "<img class=\"emoji\" src=\"https://cdn.example/tea.png?a=1&amp;b=%222\" \
                   alt=\":tea:\" title=\":tea:\" loading=\"lazy\">";
        assert_eq!(
            out,
            format!(
                "<p title=\":tea:\">x{img}y :bad: :a&quot;b: :tea</p>\
                 <a href='https://h/:tea:'>{img}{img}</a>"
            )
        );
        assert_eq!(with_emojis("no :tea: here", &[]), "no :tea: here");
    }

    #[test]
    fn profile_paths_encode_odd_characters() {
        assert_eq!(profile_path("ana"), "/@ana");
        assert_eq!(profile_path("bo@example.com:8080"), "/@bo@example.com:8080");
        assert_eq!(profile_path("a/b?c\"d"), "/@a%2Fb%3Fc%22d");
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("  héllo  ", 10), "héllo");
        assert_eq!(shorten("héllo", 2), "hé…");
    }
}
