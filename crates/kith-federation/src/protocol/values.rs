//! Lenient readers for values that servers shape differently.

use serde_json::Value;
use url::Url;

/// The first http(s) URL in a value that may be a string, a `Link`/`Image` object with `url`
/// or `href`, or an array of those.
pub fn first_url(value: &Value) -> Option<Url> {
    match value {
        Value::String(s) => Url::parse(s)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https")),
        Value::Array(items) => items.iter().find_map(first_url),
        Value::Object(map) => map
            .get("url")
            .or_else(|| map.get("href"))
            .and_then(first_url),
        _ => None,
    }
}

/// A string value, or the first string of an array.
pub fn first_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(first_string),
        _ => None,
    }
}

/// Cuts `s` to at most `max` characters.
pub fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Removes control characters (a display name is one line of plain text).
pub fn single_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Removes NUL characters from every string and object key of a JSON value from another
/// server. PostgreSQL cannot store NUL in text and SQLite can, so remote input is cleaned of it
/// before anything reads it: both backends then behave alike, and a sender whose post has a
/// stray NUL gets it stored without, not an error it would retry for days.
pub fn strip_nul(value: &mut Value) {
    match value {
        Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        Value::Array(items) => items.iter_mut().for_each(strip_nul),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(mut k, v)| {
                        k.retain(|c| c != '\0');
                        (k, v)
                    })
                    .collect();
            }
            map.values_mut().for_each(strip_nul);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_urls_in_every_shape() {
        let want = Some(Url::parse("https://a.example/x.png").unwrap());
        assert_eq!(first_url(&json!("https://a.example/x.png")), want);
        assert_eq!(
            first_url(&json!({"type": "Image", "url": "https://a.example/x.png"})),
            want
        );
        assert_eq!(
            first_url(&json!([{"href": "https://a.example/x.png"}])),
            want
        );
        assert_eq!(first_url(&json!("javascript:alert(1)")), None);
        assert_eq!(first_url(&json!(3)), None);
    }

    #[test]
    fn nul_goes_from_strings_and_keys() {
        let mut v = json!({"a\u{0}b": ["x\u{0}", {"c": "\u{0}"}], "n": 1});
        strip_nul(&mut v);
        assert_eq!(v, json!({"ab": ["x", {"c": ""}], "n": 1}));
    }
}
