//! HTML that reaches people: remote HTML is cleaned with an allow-list (`ammonia`) before it
//! is stored, and local plain text becomes escaped HTML.

use std::collections::HashSet;
use std::sync::OnceLock;

fn remote_cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::empty();
        b.add_tags([
            "p",
            "br",
            "a",
            "span",
            "strong",
            "b",
            "em",
            "i",
            "u",
            "s",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
        ]);
        b.add_tag_attributes("a", ["href"]);
        b.add_tag_attributes("ol", ["start", "reversed"]);
        // Only the classes Mastodon uses for mentions, hashtags and link shortening.
        b.add_allowed_classes("span", ["h-card", "invisible", "ellipsis"]);
        b.url_schemes(HashSet::from(["http", "https"]));
        b.link_rel(Some("nofollow noopener noreferrer"));
        b.set_tag_attribute_value("a", "target", "_blank");
        b
    })
}

/// Cleans HTML from another server: only formatting tags and http(s) links survive.
pub fn sanitize_remote(html: &str) -> String {
    remote_cleaner().clean(html).to_string()
}

/// Cleans HTML from another server like [`sanitize_remote`], cut so that the clean HTML has at
/// most `max_chars` characters. The input is cut to `max_chars` first. Cleaning can lengthen it
/// (`&` becomes `&amp;`), so a result still too long is cut again, where no tag or character
/// reference is split and leaving room for the end tags of elements left open, and cleaned once
/// more (with more room each round, which is rarely needed). Cleaning costs grow faster than
/// the text's length, so the text is cleaned as few times as possible.
pub fn sanitize_remote_within(html: &str, max_chars: usize) -> String {
    let cut: String = html.chars().take(max_chars).collect();
    let clean = sanitize_remote(&cut);
    if clean.chars().count() <= max_chars {
        return clean;
    }
    let mut room = max_chars / 100 + 16;
    loop {
        let keep = max_chars.saturating_sub(room);
        let again = sanitize_remote(whole_prefix(&clean, keep));
        if again.chars().count() <= max_chars || keep == 0 {
            return again;
        }
        room = room.saturating_mul(4);
    }
}

/// At most the first `chars` characters of clean HTML, ending before any tag or character
/// reference the cut would split.
fn whole_prefix(html: &str, chars: usize) -> &str {
    let end = html
        .char_indices()
        .nth(chars)
        .map_or(html.len(), |(i, _)| i);
    let head = &html[..end];
    let head = match (head.rfind('<'), head.rfind('>')) {
        (Some(open), close) if close.is_none_or(|c| c < open) => &head[..open],
        _ => head,
    };
    match (head.rfind('&'), head.rfind(';')) {
        (Some(amp), semi) if semi.is_none_or(|s| s < amp) => &head[..amp],
        _ => head,
    }
}

/// Turns plain text typed here into HTML: escaped, paragraphs at blank lines, `<br>` at single
/// line breaks.
pub fn plain_text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(escape).collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect();
    paragraphs.concat()
}

/// Turns one line of plain text typed here (a profile field's value) into HTML: escaped, with
/// each `http(s)://` link made an anchor as Mastodon makes them (`rel="nofollow noopener me"`,
/// the scheme in an invisible span).
pub fn text_with_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, word) in text.split(' ').enumerate() {
        if n > 0 {
            out.push(' ');
        }
        let scheme = ["https://", "http://"]
            .into_iter()
            .find(|s| word.starts_with(s) && word.len() > s.len());
        match scheme.filter(|_| url::Url::parse(word).is_ok()) {
            Some(scheme) => out.push_str(&format!(
                "<a href=\"{}\" target=\"_blank\" rel=\"nofollow noopener me\" translate=\"no\">\
                 <span class=\"invisible\">{}</span><span class=\"\">{}</span>\
                 <span class=\"invisible\"></span></a>",
                escape(word),
                escape(scheme),
                escape(&word[scheme.len()..])
            )),
            None => out.push_str(&escape(word)),
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of some HTML, for places that show no markup (`source.note`, page titles).
pub fn html_to_text(html: &str) -> String {
    let spaced = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p><p>", "\n\n");
    let stripped = ammonia::Builder::empty().clean(&spaced).to_string();
    stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_scripts_handlers_and_bad_links() {
        let dirty = r#"<p onclick="x()">hi <script>alert(1)</script><a href="javascript:alert(1)">j</a> <a href="https://ok.example/">ok</a><img src=x onerror=alert(1)></p>"#;
        let clean = sanitize_remote(dirty);
        assert!(!clean.contains("script"), "{clean}");
        assert!(
            !clean.contains("onclick") && !clean.contains("onerror") && !clean.contains("<img")
        );
        assert!(!clean.contains("javascript:"));
        assert!(clean.contains(r#"href="https://ok.example/""#));
        assert!(clean.contains("nofollow"));
    }

    #[test]
    fn remote_html_is_cut_to_the_cap_after_cleaning() {
        // Every `&` becomes `&amp;`: five times longer once clean.
        let amps = "&".repeat(50_000);
        let clean = sanitize_remote_within(&amps, 1_000);
        assert!(clean.chars().count() <= 1_000, "{}", clean.len());
        assert!(clean.chars().count() >= 950, "cut far more than needed");
        assert!(clean.ends_with("&amp;"), "a character reference was split");
        // Expansion at the start only.
        let front = "&".repeat(2_000) + &"a".repeat(8_000);
        let clean = sanitize_remote_within(&front, 10_000);
        assert!((9_800..=10_000).contains(&clean.chars().count()));
        // Unclosed tags are closed, and the closing stays within the cap.
        let nested = "<b><i><p>".repeat(1_000) + &"x".repeat(10_000);
        let clean = sanitize_remote_within(&nested, 2_000);
        assert!(clean.chars().count() <= 2_000);
        assert!(clean.ends_with('>'));
        let short = "<p>hi</p>";
        assert_eq!(sanitize_remote_within(short, 100), sanitize_remote(short));
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(
            plain_text_to_html("a <b>\nc\n\nd"),
            "<p>a &lt;b&gt;<br>c</p><p>d</p>"
        );
        assert_eq!(
            html_to_text("<p>a &lt;b&gt;<br>c</p><p>d</p>"),
            "a <b>\nc\n\nd"
        );
    }
}
