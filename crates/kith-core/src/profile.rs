//! The rules of a profile and of what a person keeps about others, as Mastodon has them:
//! profile fields (local ones checked and rendered, remote ones capped and sanitized), private
//! notes on accounts, endorsements ("feature on profile": only accounts one follows) and
//! featured hashtags. The caps are in `limits`; the rows are `kith_storage::profiles`'.

use crate::limits::{
    MAX_ACCOUNT_NOTE_CHARS, MAX_FEATURED_TAGS, MAX_FIELD_NAME_CHARS, MAX_FIELD_VALUE_CHARS,
    MAX_PROFILE_FIELDS, MAX_REMOTE_PROFILE_FIELDS, MAX_URL_BYTES,
};
use crate::CoreError;
use kith_storage::accounts::StoredField;
use kith_storage::profiles::{self, FeaturedTag};
use kith_storage::{follows, DbConn};
use regex::Regex;
use std::sync::OnceLock;

/// Cuts `text` to at most `max` characters.
fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Text from outside as one line: NUL and other control characters become spaces, trimmed.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A local owner's profile fields from (name, value) pairs as typed: pairs blank on both
/// sides are dropped (Mastodon's form sends four, empty ones included); at most
/// `MAX_PROFILE_FIELDS`, names of at most `MAX_FIELD_NAME_CHARS` and values of at most
/// `MAX_FIELD_VALUE_CHARS` characters, a value needs a name; else `Invalid` (422). Values are
/// rendered as escaped text with their links made anchors.
pub fn local_fields(pairs: &[(String, String)]) -> Result<Vec<StoredField>, CoreError> {
    let mut fields = Vec::new();
    for (name, value) in pairs {
        let name = one_line(name);
        let value = one_line(value);
        if name.is_empty() && value.is_empty() {
            continue;
        }
        if name.is_empty() {
            return Err(CoreError::Invalid(
                "Profile fields with a value must have a name".into(),
            ));
        }
        if name.chars().count() > MAX_FIELD_NAME_CHARS {
            return Err(CoreError::Invalid(format!(
                "Profile field name is too long (maximum is {MAX_FIELD_NAME_CHARS} characters)"
            )));
        }
        if value.chars().count() > MAX_FIELD_VALUE_CHARS {
            return Err(CoreError::Invalid(format!(
                "Profile field value is too long (maximum is {MAX_FIELD_VALUE_CHARS} characters)"
            )));
        }
        fields.push(StoredField {
            value: crate::html::text_with_links(&value),
            raw: Some(value),
            name,
            verified_at: None,
        });
    }
    if fields.len() > MAX_PROFILE_FIELDS {
        return Err(CoreError::Invalid(format!(
            "Profile fields are too many (maximum is {MAX_PROFILE_FIELDS})"
        )));
    }
    Ok(fields)
}

/// A remote actor's profile fields from its `PropertyValue`s (name as plain text, value as
/// HTML): the first `MAX_REMOTE_PROFILE_FIELDS`, names cut to `MAX_FIELD_NAME_CHARS`, values
/// sanitized and cut so that the clean HTML has at most `MAX_FIELD_VALUE_CHARS`; nameless ones dropped.
pub fn remote_fields(items: impl IntoIterator<Item = (String, String)>) -> Vec<StoredField> {
    items
        .into_iter()
        .filter_map(|(name, value)| {
            let name = cut(&one_line(&name), MAX_FIELD_NAME_CHARS);
            if name.is_empty() {
                return None;
            }
            let value = value.replace('\0', "");
            Some(StoredField {
                name,
                value: crate::html::sanitize_remote_within(&value, MAX_FIELD_VALUE_CHARS),
                raw: None,
                verified_at: None,
            })
        })
        .take(MAX_REMOTE_PROFILE_FIELDS)
        .collect()
}

/// The URL a local field's value (as typed) is, if it is one link that can be verified: a
/// single `http(s)` URL of at most `MAX_URL_BYTES`.
pub fn verifiable_url(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    let ok = (raw.starts_with("https://") || raw.starts_with("http://"))
        && raw.len() <= MAX_URL_BYTES
        && !raw.contains(char::is_whitespace)
        && url::Url::parse(raw).is_ok();
    ok.then_some(raw)
}

/// Whether a page links back to a profile, as Mastodon verifies a field's link: an `<a>` or
/// `<link>` whose `rel` includes `me` and whose `href` is one of `targets` (a trailing `/`
/// aside).
pub fn links_back(html: &str, targets: &[&str]) -> bool {
    static TAG: OnceLock<Regex> = OnceLock::new();
    static ATTR: OnceLock<Regex> = OnceLock::new();
    let tag = TAG.get_or_init(|| Regex::new(r"(?is)<(?:a|link)\s[^>]*>").expect("a valid pattern"));
    let attr = ATTR.get_or_init(|| {
        Regex::new(r#"(?is)(?:^|\s)(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#)
            .expect("a valid pattern")
    });
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    tag.find_iter(html).any(|t| {
        let (mut rel_me, mut href) = (false, None);
        for c in attr.captures_iter(t.as_str()) {
            let value = c
                .get(2)
                .or_else(|| c.get(3))
                .or_else(|| c.get(4))
                .map_or("", |m| m.as_str());
            if c[1].eq_ignore_ascii_case("rel") {
                rel_me |= value
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("me"));
            } else {
                href = Some(value.replace("&amp;", "&"));
            }
        }
        rel_me && href.is_some_and(|h| targets.iter().any(|t| same(&h, t)))
    })
}

/// Sets `me`'s private note on `target` (empty clears it); at most `MAX_ACCOUNT_NOTE_CHARS`.
pub fn set_note(conn: &mut DbConn, me: i64, target: i64, comment: &str) -> Result<(), CoreError> {
    let comment = comment.replace('\0', "");
    if comment.chars().count() > MAX_ACCOUNT_NOTE_CHARS {
        return Err(CoreError::Invalid(format!(
            "Comment is too long (maximum is {MAX_ACCOUNT_NOTE_CHARS} characters)"
        )));
    }
    profiles::set_note(conn, me, target, comment.trim())?;
    Ok(())
}

/// `me` features `target` on their profile: only an account `me` follows (an accepted
/// follow), as on Mastodon; else `Invalid` (422). The endorsement ends with the follow.
pub fn endorse(conn: &mut DbConn, me: i64, target: i64) -> Result<(), CoreError> {
    let follow = follows::between(conn, me, target)?.filter(|f| f.accepted);
    let Some(follow) = follow else {
        return Err(CoreError::Invalid(
            "You can only feature accounts you follow".into(),
        ));
    };
    profiles::endorse(conn, me, target, follow.id)?;
    Ok(())
}

/// `me` stops featuring `target` (nothing if it did not).
pub fn unendorse(conn: &mut DbConn, me: i64, target: i64) -> Result<(), CoreError> {
    profiles::unendorse(conn, me, target)?;
    Ok(())
}

/// The normalized name of a hashtag given with or without `#`, or `Invalid`.
pub fn tag_name(raw: &str) -> Result<String, CoreError> {
    let name = crate::tags::normalize(raw.trim().trim_start_matches('#'));
    if !crate::tags::is_valid(&name) {
        return Err(CoreError::Invalid("Tag is not a valid hashtag".into()));
    }
    Ok(name)
}

/// `me` features the hashtag `raw`: normalized, at most `MAX_FEATURED_TAGS` (422 past it);
/// featuring one already featured answers the one there.
pub fn feature_tag(conn: &mut DbConn, me: i64, raw: &str) -> Result<FeaturedTag, CoreError> {
    let name = tag_name(raw)?;
    if let Some(existing) = profiles::featured_named(conn, me, &name)? {
        return Ok(existing);
    }
    if profiles::count_featured(conn, me)? >= MAX_FEATURED_TAGS {
        return Err(CoreError::Invalid(format!(
            "You cannot feature more than {MAX_FEATURED_TAGS} hashtags"
        )));
    }
    let tag = FeaturedTag {
        id: kith_storage::id::new_id(),
        account_id: me,
        name,
        created_at: kith_storage::now(),
    };
    profiles::insert_featured(conn, &tag)?;
    Ok(tag)
}

/// `me` stops featuring the hashtag `raw` (nothing if it was not featured).
pub fn unfeature_tag(conn: &mut DbConn, me: i64, raw: &str) -> Result<(), CoreError> {
    let name = tag_name(raw)?;
    if let Some(tag) = profiles::featured_named(conn, me, &name)? {
        profiles::delete_featured(conn, me, tag.id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.to_owned(), v.to_owned())
    }

    #[test]
    fn local_fields_are_checked_and_rendered() {
        let fields = local_fields(&[
            pair("Site", "https://example.com/me"),
            pair("", ""),
            pair("Pronouns", "they/them <b>"),
        ])
        .unwrap();
        assert_eq!(fields.len(), 2);
        assert!(fields[0]
            .value
            .starts_with("<a href=\"https://example.com/me\""));
        assert_eq!(fields[0].raw.as_deref(), Some("https://example.com/me"));
        assert_eq!(fields[1].value, "they/them &lt;b&gt;");
        let five: Vec<_> = (0..5).map(|i| pair(&format!("n{i}"), "v")).collect();
        assert!(local_fields(&five).is_err());
        assert!(local_fields(&[pair("", "value")]).is_err());
        assert!(local_fields(&[pair(&"n".repeat(256), "v")]).is_err());
        assert!(local_fields(&[pair("n", &"v".repeat(2_048))]).is_err());
        assert!(local_fields(&[pair(&"n".repeat(255), &"v".repeat(2_047))]).is_ok());
    }

    #[test]
    fn links_back_finds_rel_me() {
        let me = "https://kith.example/@ana";
        for page in [
            r#"<a href="https://kith.example/@ana" rel="me nofollow">me</a>"#,
            r#"<link rel='me' href='https://kith.example/@ana/'>"#,
            "<A REL=me HREF=https://kith.example/@ana>",
        ] {
            assert!(links_back(page, &[me]), "{page}");
        }
        for page in [
            r#"<a href="https://kith.example/@ana">no rel</a>"#,
            r#"<a rel="me" href="https://kith.example/@bob">other</a>"#,
            r#"<a rel="nome" href="https://kith.example/@ana">x</a>"#,
            r#"<p rel="me" href="https://kith.example/@ana">x</p>"#,
        ] {
            assert!(!links_back(page, &[me]), "{page}");
        }
        assert_eq!(
            verifiable_url(" https://a.example/x "),
            Some("https://a.example/x")
        );
        assert_eq!(verifiable_url("see https://a.example"), None);
        assert_eq!(verifiable_url("ftp://a.example"), None);
    }

    #[test]
    fn remote_fields_are_capped_and_sanitized() {
        let many = (0..100).map(|i| {
            (
                format!("name {i}{}", "x".repeat(1_000)),
                format!(
                    "<script>alert(1)</script><a href=\"javascript:x\">v</a>{}",
                    "y".repeat(10_000)
                ),
            )
        });
        let fields = remote_fields(many);
        assert_eq!(fields.len(), MAX_REMOTE_PROFILE_FIELDS);
        for f in &fields {
            assert!(f.name.chars().count() <= MAX_FIELD_NAME_CHARS);
            assert!(f.value.chars().count() <= MAX_FIELD_VALUE_CHARS);
            assert!(!f.value.contains("script") && !f.value.contains("javascript"));
        }
    }
}
