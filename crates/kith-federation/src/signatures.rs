//! HTTP signatures on incoming requests (draft-cavage, as Mastodon, GoToSocial, Pleroma,
//! Misskey and Fedify send them): parsing with `http-signature-normalization`, `Digest`
//! against the body, and RSA-SHA256 verification (`rsa-sha256` and `hs2019` labels).
//! The key id may end in `#main-key` (Mastodon) or `/main-key` (GoToSocial): what counts is
//! that it is the key of the actor the request speaks for.

use actix_web::HttpRequest;
use base64::Engine;
use http_signature_normalization::verify::{Algorithm, DeprecatedAlgorithm, Unverified};
use kith_storage::accounts::Account;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
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

fn public_key(pem: &str) -> Option<RsaPublicKey> {
    RsaPublicKey::from_public_key_pem(pem.trim())
        .ok()
        .or_else(|| rsa::pkcs1::DecodeRsaPublicKey::from_pkcs1_pem(pem.trim()).ok())
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
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature) else {
                return false;
            };
            let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
                return false;
            };
            VerifyingKey::<Sha256>::new(key.clone())
                .verify(signing_string.as_bytes(), &sig)
                .is_ok()
        })
}
