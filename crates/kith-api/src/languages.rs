//! Which `language` values a client may send with a post: a BCP 47-shaped tag whose primary
//! subtag is an ISO 639-1 code (two letters, checked against the list) or a three-letter
//! ISO 639-2/3 code (shape only), optionally followed by region or script subtags
//! (`pt-BR`, `zh-Hant`). Anything else is refused with 422 rather than stored.

use crate::error::ApiError;
use kith_core::limits::MAX_LANGUAGE_BYTES;

/// The ISO 639-1 two-letter codes.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// The language tag to store for a post: `None` when none was sent (empty counts as none),
/// the tag with its primary subtag lower-cased when valid, 422 otherwise.
pub(crate) fn language_param(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(tag) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let invalid =
        || ApiError::Unprocessable(format!("Validation failed: invalid language {tag:?}"));
    if tag.len() > MAX_LANGUAGE_BYTES {
        return Err(invalid());
    }
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next().unwrap_or_default().to_ascii_lowercase();
    let primary_ok = match primary.len() {
        2 => ISO_639_1.contains(&primary.as_str()),
        3 => primary.bytes().all(|b| b.is_ascii_lowercase()),
        _ => false,
    };
    let rest: Vec<&str> = parts.collect();
    let rest_ok = rest
        .iter()
        .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok {
        return Err(invalid());
    }
    let mut out = primary;
    for p in rest {
        out.push('-');
        out.push_str(p);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::language_param;

    #[test]
    fn codes_and_regions_pass_and_garbage_is_refused() {
        assert_eq!(language_param(None).unwrap(), None);
        assert_eq!(language_param(Some("")).unwrap(), None);
        assert_eq!(language_param(Some("en")).unwrap().as_deref(), Some("en"));
        assert_eq!(language_param(Some("DE")).unwrap().as_deref(), Some("de"));
        assert_eq!(
            language_param(Some("pt_BR")).unwrap().as_deref(),
            Some("pt-BR")
        );
        assert_eq!(
            language_param(Some("zh-Hant")).unwrap().as_deref(),
            Some("zh-Hant")
        );
        assert_eq!(language_param(Some("tok")).unwrap().as_deref(), Some("tok"));
        for bad in [
            "xx",
            "english",
            "e",
            "en-",
            "12",
            "en us",
            "<b>",
            "en-toolongsubtag",
        ] {
            assert!(language_param(Some(bad)).is_err(), "{bad} accepted");
        }
    }
}
