//! HTTP signatures on incoming requests (draft-cavage, as Mastodon, GoToSocial, Pleroma,
//! Misskey and Fedify send them): parsing with `http-signature-normalization`, `Digest`
//! against the body, and RSA-SHA256 verification (`rsa-sha256` and `hs2019` labels) with
//! `aws-lc-rs`, the fastest well-kept implementation in the tree (about 8× the `rsa` crate's
//! speed for verification). Parsed keys are cached, so a key is parsed once, not per request.
//! The key id may end in `#main-key` (Mastodon) or `/main-key` (GoToSocial): what counts is
//! that it is the key of the actor the request speaks for.

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

/// Parses the `Signature` header; `require_digest` for POSTs (the digest must be signed).
pub fn parse(req: &HttpRequest, require_digest: bool) -> Result<Unverified, String> {
    let mut config = http_signature_normalization::Config::new()
        .set_expiration(MAX_SIGNATURE_AGE)
        .require_header("host");
    if require_digest {
        config = config.require_digest();
    }
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
    config
        .begin_verify(req.method().as_str(), &path_and_query, headers)
        .map_err(|e| format!("signature header: {e}"))
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
