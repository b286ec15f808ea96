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
