//! Hashtag names: the one normalization every tag goes through before it is stored, followed
//! or looked up, so `#Café`, `#cafe` and `#ｃａｆｅ` (full-width) are one tag, as in Mastodon's
//! `HashtagNormalizer`: Unicode NFKC (which also folds full-width forms), lower case, Latin
//! letters folded to ASCII (`é` → `e`, `ß` → `ss`), and anything but letters, marks, digits
//! and the separators `_`, `·`, `・` and ZWNJ removed.

use crate::limits::MAX_HASHTAG_BYTES;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Characters kept inside a tag besides letters and digits.
const SEPARATORS: [char; 4] = ['_', '\u{00B7}', '\u{30FB}', '\u{200C}'];

/// The normalized form of a tag name (a leading `#` is dropped); may be empty.
pub fn normalize(name: &str) -> String {
    let name = name.trim().trim_start_matches('#');
    let lower: String = name.nfkc().collect::<String>().to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        fold(c, &mut out);
    }
    // Marks stay: Mastodon's `[[:alnum:]]` includes them, and in many scripts they are part
    // of the letter (Devanagari vowel signs, …).
    out.retain(|c| c.is_alphanumeric() || is_combining_mark(c) || SEPARATORS.contains(&c));
    out
}

/// Appends `c`, folded to ASCII when it is a Latin letter with marks or a Latin ligature.
fn fold(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c);
        return;
    }
    let special = match c {
        'ß' => Some("ss"),
        'æ' => Some("ae"),
        'œ' => Some("oe"),
        'ø' => Some("o"),
        'đ' | 'ð' => Some("d"),
        'ł' => Some("l"),
        'þ' => Some("th"),
        'ı' => Some("i"),
        'ħ' => Some("h"),
        _ => None,
    };
    if let Some(s) = special {
        out.push_str(s);
        return;
    }
    // A Latin letter with diacritics decomposes into an ASCII letter and combining marks;
    // other scripts' marks (Devanagari vowel signs, …) are part of the letter and stay.
    let mut parts = std::iter::once(c).nfd();
    if let Some(base) = parts.next() {
        let rest: Vec<char> = parts.collect();
        if base.is_ascii_alphabetic() && rest.iter().all(|m| is_combining_mark(*m)) {
            out.push(base);
            return;
        }
    }
    out.push(c);
}

/// Whether `name` (normalized) is a name a tag may have: not empty, not too long, at least
/// one letter (`#123` is no tag), as Mastodon's `HASHTAG_NAME_RE` requires.
pub fn is_valid(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_HASHTAG_BYTES && name.chars().any(char::is_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::{is_valid, normalize};

    #[test]
    fn tags_are_one_whatever_their_case_width_or_accents() {
        assert_eq!(normalize("#Rust"), "rust");
        assert_eq!(normalize("Café"), "cafe");
        assert_eq!(normalize("ｃａｆｅ"), "cafe");
        assert_eq!(normalize("Straße"), "strasse");
        assert_eq!(normalize("snake_case"), "snake_case");
        assert_eq!(normalize("a-b c!"), "abc");
        assert_eq!(normalize("ＲＵＳＴ２０２６"), "rust2026");
        // Other scripts keep their marks.
        assert_eq!(normalize("हिन्दी"), "हिन्दी");
        assert_eq!(normalize("日本語"), "日本語");
    }

    #[test]
    fn a_tag_needs_a_letter() {
        assert!(is_valid("rust"));
        assert!(is_valid("2026rust"));
        assert!(!is_valid("2026"));
        assert!(!is_valid(""));
        assert!(!is_valid(&"a".repeat(1000)));
    }
}
