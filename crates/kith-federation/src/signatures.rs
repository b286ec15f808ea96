//! HTTP signatures on incoming requests (draft-cavage, as Mastodon, GoToSocial, Pleroma,
//! Misskey and Fedify send them): parsing with `http-signature-normalization`, `Digest`
//! against the body, and RSA-SHA256 verification (`rsa-sha256` and `hs2019` labels) with
//! `aws-lc-rs`, the fastest well-kept implementation in the tree (about 8× the `rsa` crate's
//! speed for verification). Parsed keys are cached, so a key is parsed once, not per request.
//! The key id may end in `#main-key` (Mastodon) or `/main-key` (GoToSocial): what counts is
//! that it is the key of the actor the request speaks for. A signature must cover
//! `(request-target)`, `host`, and `date` or `(created)`, and `digest` on POSTs.

use actix_web::HttpRequest;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use http_signature_normalization::verify::{Algorithm, DeprecatedAlgorithm, Unverified};
use kith_storage::accounts::Account;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long a signature's own `created`/`expires` may make it live; the `Date` window is
/// checked separately (12 h back, 1 h ahead, as Mastodon).
const MAX_SIGNATURE_AGE: Duration = Duration::from_secs(12 * 3600);
/// How far a request's `Date` (or a signature's `(created)`) may lie in the past (Mastodon's
/// window) …
pub const MAX_DATE_AGE: chrono::Duration = chrono::Duration::hours(12);
/// … and in the future (clock skew).
pub const MAX_DATE_SKEW: chrono::Duration = chrono::Duration::hours(1);

/// Checks the `Digest` header against the body. Only SHA-256 is accepted.
pub fn verify_digest(req: &HttpRequest, body: &[u8]) -> Result<(), String> {
    let header = req
        .headers()
        .get("digest")
        .and_then(|v| v.to_str().ok())
        .ok_or("Digest header missing")?;
    let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body));
    let matches = header.split(',').any(|part| {
        part.trim()
            .split_once('=')
            .is_some_and(|(alg, value)| alg.eq_ignore_ascii_case("sha-256") && value == expected)
    });
    if matches {
        Ok(())
    } else {
        Err("Digest does not match the body".into())
    }
}

/// Parses the `Signature` header and checks what it covers, as Mastodon does: always
/// `(request-target)`, `host`, and `date` or `(created)` (so neither the target nor the time
/// can be swapped under a captured signature), and `digest` when `require_digest` (POSTs with
/// a body). A signed `(created)` must lie in the window of a `Date` (12 h back, 1 h ahead);
/// a signed `date` is checked against that window by the caller, on the header itself.
pub fn parse(req: &HttpRequest, require_digest: bool) -> Result<Unverified, String> {
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{}?{q}", req.uri().path()),
        None => req.uri().path().to_owned(),
    };
    parse_parts(
        req.method().as_str(),
        &path_and_query,
        headers,
        require_digest,
    )
}

/// `parse` on a request's parts: method, path with query, and headers (names in any case).
pub fn parse_parts(
    method: &str,
    path_and_query: &str,
    headers: BTreeMap<String, String>,
    require_digest: bool,
) -> Result<Unverified, String> {
    // Lowercased as the library does, so that the check below reads the header it will read.
    let headers: BTreeMap<String, String> = headers
        .into_iter()
        .map(|(k, v)| (k.to_lowercase(), v))
        .collect();
    check_timestamps(&headers)?;
    let mut config = http_signature_normalization::Config::new()
        .set_expiration(MAX_SIGNATURE_AGE)
        .require_header("(request-target)")
        .require_header("host");
    if require_digest {
        config = config.require_digest();
    }
    let unverified = config
        .begin_verify(method, path_and_query, headers)
        .map_err(|e| format!("signature header: {e}"))?;
    let created = signed_value(&unverified, "(created)");
    if signed_value(&unverified, "date").is_none() && created.is_none() {
        return Err("the signature must cover date or (created)".into());
    }
    if let Some(created) = created {
        let at = created
            .parse::<i64>()
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .ok_or("the signature's (created) is unreadable")?;
        let now = chrono::Utc::now();
        if at < now - MAX_DATE_AGE || at > now + MAX_DATE_SKEW {
            return Err("the signature's (created) is outside the accepted window".into());
        }
    }
    Ok(unverified)
}

/// The largest `created`/`expires` parameter accepted: the end of the year 9999.
const MAX_TIMESTAMP: u64 = 253_402_300_799;

/// Refuses `created`/`expires` parameters past `MAX_TIMESTAMP`. `http-signature-normalization`
/// adds them to `UNIX_EPOCH`, and then the expiration to that, without checking for overflow:
/// `created=9223372036854775808` panicked the handler (found by `tests/fuzz.rs`). The header
/// is split as the library splits it (`authorization` first, then `signature`), and every
/// occurrence of a parameter is checked.
fn check_timestamps(lowercased: &BTreeMap<String, String>) -> Result<(), String> {
    let Some(header) = lowercased
        .get("authorization")
        .or_else(|| lowercased.get("signature"))
    else {
        return Ok(());
    };
    let header = header.trim_start_matches("Signature").trim();
    for part in header.split(',') {
        let mut kv = part.splitn(2, '=');
        let (Some(key), Some(value)) = (kv.next(), kv.next()) else {
            continue;
        };
        if key == "created" || key == "expires" {
            let value = value.trim_matches('"');
            if value.parse::<u64>().is_ok_and(|t| t > MAX_TIMESTAMP) {
                return Err(format!("signature header: {key} is out of range"));
            }
        }
    }
    Ok(())
}

/// The value a signature covers for `name`, read from its signing string (one `name: value`
/// line per signed header, in the signature's order; header values hold no line breaks).
fn signed_value<'a>(unverified: &'a Unverified, name: &str) -> Option<&'a str> {
    unverified.signing_string().lines().find_map(|line| {
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(": "))
    })
}

/// Whether `key_id` names `actor`'s key.
pub fn key_belongs_to(key_id: &str, actor: &Account) -> bool {
    key_id == actor.public_key_id
        || key_id
            .strip_prefix(actor.ap_id.as_str())
            .is_some_and(|rest| rest.starts_with('#') || rest.starts_with('/'))
}

/// Parsed keys by PEM; cleared when it grows past this many (a crude but bounded cache).
const KEY_CACHE_LIMIT: usize = 10_000;

fn key_cache() -> &'static Mutex<HashMap<String, Arc<ParsedPublicKey>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<ParsedPublicKey>>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The verifier for a PEM public key (SPKI, or PKCS#1 as some servers send), parsed once.
fn public_key(pem: &str) -> Option<Arc<ParsedPublicKey>> {
    if let Some(k) = key_cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(pem)
    {
        return Some(k.clone());
    }
    let key = RsaPublicKey::from_public_key_pem(pem.trim())
        .ok()
        .or_else(|| rsa::pkcs1::DecodeRsaPublicKey::from_pkcs1_pem(pem.trim()).ok())?;
    let der = key.to_pkcs1_der().ok()?;
    let parsed = Arc::new(ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_bytes()).ok()?);
    let mut cache = key_cache().lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= KEY_CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(pem.to_owned(), parsed.clone());
    Some(parsed)
}

/// Verifies the signature with `pem` (RSA-SHA256).
pub fn verify(unverified: &Unverified, pem: &str) -> bool {
    let supported = match unverified.algorithm() {
        None | Some(Algorithm::Hs2019) => true,
        Some(Algorithm::Deprecated(DeprecatedAlgorithm::RsaSha256)) => true,
        Some(_) => false,
    };
    let Some(key) = public_key(pem) else {
        return false;
    };
    supported
        && unverified.verify(|signature, signing_string| {
            base64::engine::general_purpose::STANDARD
                .decode(signature)
                .is_ok_and(|bytes| key.verify_sig(signing_string.as_bytes(), &bytes).is_ok())
        })
}

#[cfg(test)]
mod tests {
    use super::parse_parts;
    use std::collections::BTreeMap;

    const DIGEST: &str = "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    /// A request carrying every header any shape below signs, and a `Signature` over `signed`.
    fn request(signed: &str, created: Option<i64>) -> BTreeMap<String, String> {
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let mut signature = format!(
            "keyId=\"https://remote.example/users/a#main-key\",algorithm=\"rsa-sha256\",headers=\"{signed}\",signature=\"AAAA\""
        );
        if let Some(created) = created {
            signature.push_str(&format!(",created={created}"));
        }
        BTreeMap::from([
            ("Host".to_owned(), "kith.example".to_owned()),
            ("Date".to_owned(), date),
            ("Digest".to_owned(), DIGEST.to_owned()),
            (
                "Content-Type".to_owned(),
                "application/activity+json".to_owned(),
            ),
            ("Accept".to_owned(), "application/activity+json".to_owned()),
            ("User-Agent".to_owned(), "Fedify/2.3.6".to_owned()),
            ("Signature".to_owned(), signature),
        ])
    }

    fn post(signed: &str, created: Option<i64>) -> Result<(), String> {
        parse_parts("POST", "/inbox", request(signed, created), true).map(|_| ())
    }

    fn get(signed: &str) -> Result<(), String> {
        parse_parts("GET", "/users/ana", request(signed, None), false).map(|_| ())
    }

    #[test]
    fn real_servers_signature_shapes_are_accepted() {
        // Mastodon, GoToSocial, Kith itself.
        post("(request-target) host date digest", None).unwrap();
        // Misskey's order.
        post("(request-target) date host digest", None).unwrap();
        // Fedify.
        post("(request-target) content-type date digest host", None).unwrap();
        let now = chrono::Utc::now().timestamp();
        post("(request-target) (created) host digest", Some(now)).unwrap();
        // Signed GETs: Mastodon/GoToSocial and Fedify.
        get("(request-target) host date").unwrap();
        get("(request-target) accept date host user-agent").unwrap();
    }

    #[test]
    fn signatures_that_leave_out_the_target_host_time_or_digest_are_refused() {
        for (signed, why) in [
            ("(request-target) host digest", "date"),
            ("host date digest", "request-target"),
            ("(request-target) date digest", "host"),
            ("(request-target) host date", "igest"),
            ("digest", "request-target"),
        ] {
            let err = post(signed, None).expect_err(signed);
            assert!(err.contains(why), "{signed}: {err}");
        }
        for (signed, why) in [
            ("(request-target) host", "date"),
            ("host date", "request-target"),
            ("(request-target) date", "host"),
        ] {
            let err = get(signed).expect_err(signed);
            assert!(err.contains(why), "{signed}: {err}");
        }
    }

    /// Found by `tests/fuzz.rs`: the library's time arithmetic overflowed and panicked.
    #[test]
    fn timestamps_past_the_representable_range_are_refused_without_panicking() {
        let signed = "(request-target) host date digest";
        for created in [
            "9223372036854775808",
            "18446744073709551615",
            "9223372036854731000",
            "253402300800",
        ] {
            for param in ["created", "expires"] {
                let mut headers = request(signed, None);
                let sig = headers.get_mut("Signature").unwrap();
                sig.push_str(&format!(",{param}={created}"));
                let err = parse_parts("POST", "/inbox", headers.clone(), true).expect_err(created);
                assert!(err.contains("out of range"), "{err}");
                // The same under the other header name the library reads.
                let sig = headers.remove("Signature").unwrap();
                headers.insert("authorization".into(), format!("Signature {sig}"));
                parse_parts("POST", "/inbox", headers, true).expect_err(created);
            }
        }
    }

    #[test]
    fn a_created_outside_the_window_is_refused() {
        let now = chrono::Utc::now().timestamp();
        let signed = "(request-target) (created) host digest";
        for created in [now - 13 * 3600, now + 2 * 3600] {
            post(signed, Some(created)).expect_err("out of the window");
        }
        // `(created)` listed but not given.
        post(signed, None).expect_err("no created");
    }
}
