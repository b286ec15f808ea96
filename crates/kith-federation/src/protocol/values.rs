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
}
