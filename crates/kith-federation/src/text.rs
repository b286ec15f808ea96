//! Turning what a local author typed into a post's HTML: escaped text, paragraphs, links for
//! `@mentions` and `#hashtags`.

use kith_core::html::escape;

/// A mention found in text: the handle as typed (without `@`), and where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionAt {
    /// `user` or `user@domain`.
    pub handle: String,
}

fn is_handle_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '@' || c == ':'
}

fn trim_handle(h: &str) -> &str {
    h.trim_end_matches(['.', '-', ':'])
}

/// The `@user` and `@user@domain` handles in `text`, each once.
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts =
            chars[i] == '@' && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '@'));
        if starts {
            let mut j = i + 1;
            while j < chars.len() && is_handle_char(chars[j]) {
                j += 1;
            }
            let raw: String = chars[i + 1..j].iter().collect();
            let h = trim_handle(&raw);
            if !h.is_empty()
                && !h.starts_with('@')
                && h.matches('@').count() <= 1
                && !out.iter().any(|o| o.eq_ignore_ascii_case(h))
            {
                out.push(h.to_owned());
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The `#hashtags` in `text`, normalized (`kith_core::tags::normalize`), each once.
pub fn hashtags(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| c.is_whitespace()) {
        if let Some(tag) = word.strip_prefix('#') {
            let tag: String = tag
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let tag = kith_core::tags::normalize(&tag);
            if kith_core::tags::is_valid(&tag) && !out.contains(&tag) {
                out.push(tag);
            }
        }
    }
    out
}

/// The post's HTML. `link_for(handle)` gives the profile URL of each mention that resolved.
pub fn to_html(
    text: &str,
    link_for: &dyn Fn(&str) -> Option<String>,
    tag_url: &dyn Fn(&str) -> String,
) -> String {
    let text = text.replace("\r\n", "\n");
    let mut paragraphs = Vec::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<String> = para
            .lines()
            .map(|l| linkify_line(l, link_for, tag_url))
            .collect();
        paragraphs.push(format!("<p>{}</p>", lines.join("<br>")));
    }
    paragraphs.concat()
}

fn linkify_line(
    line: &str,
    link_for: &dyn Fn(&str) -> Option<String>,
    tag_url: &dyn Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    for (n, word) in line.split(' ').enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(&linkify_word(word, link_for, tag_url));
    }
    out
}

fn linkify_word(
    word: &str,
    link_for: &dyn Fn(&str) -> Option<String>,
    tag_url: &dyn Fn(&str) -> String,
) -> String {
    if let Some(rest) = word.strip_prefix('@') {
        let h = trim_handle(
            rest.split(|c: char| !is_handle_char(c))
                .next()
                .unwrap_or(""),
        );
        if let Some(href) = link_for(h) {
            let user = h.split('@').next().unwrap_or(h);
            let tail = &rest[h.len()..];
            return format!(
                "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>{}",
                escape(&href),
                escape(user),
                escape(tail)
            );
        }
    }
    if let Some(rest) = word.strip_prefix('#') {
        let tag: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !tag.is_empty() && !tag.chars().all(|c| c.is_ascii_digit()) {
            let tail = &rest[tag.len()..];
            return format!(
                "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>{}",
                escape(&tag_url(&kith_core::tags::normalize(&tag))),
                escape(&tag),
                escape(tail)
            );
        }
    }
    escape(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mentions_and_tags() {
        assert_eq!(
            mentions("hi @ana and @bo@b.example, mail x@y.z @ana"),
            ["ana", "bo@b.example"]
        );
        assert_eq!(hashtags("#Rust is #fun, #42 #rust"), ["rust", "fun"]);
    }

    #[test]
    fn makes_escaped_html_with_links() {
        let html = to_html(
            "hi @bo@b.example! <b>\n\n#Tea",
            &|h| (h == "bo@b.example").then(|| "https://b.example/@bo".to_owned()),
            &|t| format!("https://a.example/tags/{t}"),
        );
        assert_eq!(
            html,
            "<p>hi <span class=\"h-card\"><a href=\"https://b.example/@bo\" class=\"u-url mention\">@<span>bo</span></a></span>! &lt;b&gt;</p>\
             <p><a href=\"https://a.example/tags/tea\" class=\"mention hashtag\" rel=\"tag\">#<span>Tea</span></a></p>"
        );
    }
}
