//! Anti-forgery tokens for forms that people fill in before they have any session: the
//! sign-up page and the OAuth sign-in page. A token is `EXPIRY.NONCE.MAC`, where MAC is
//! HMAC-SHA256 (aws-lc-rs) over the form's purpose, the expiry and the nonce, keyed with a
//! random secret kept in `instance_settings` (made once, on first use, by whichever process
//! gets there first), so any Kith process sharing the database can check a token another one
//! issued, and nothing is kept per visitor. The HTTP side (a cookie holding the token and the
//! same token in the form: a signed double submit) is `kith_api::form_guard`.

use crate::tokens::random_secret;
use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kith_storage::{settings, Db, StorageError};

/// The setting that holds the key.
pub const KEY_SETTING: &str = "form_token_key";

/// The instance's key for form tokens.
#[derive(Clone)]
pub struct FormKey(Vec<u8>);

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(…)")
    }
}

/// The key, made and stored on first use (the first writer wins, so every process agrees).
pub async fn key(db: &Db) -> Result<FormKey, StorageError> {
    let stored = db.read(|c| settings::get(c, KEY_SETTING)).await?;
    let value = match stored {
        Some(v) => v,
        None => {
            let fresh = random_secret();
            db.write(move |c| settings::get_or_set(c, KEY_SETTING, &fresh))
                .await?
        }
    };
    Ok(FormKey(value.into_bytes()))
}

impl FormKey {
    fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.0)
    }

    fn message(purpose: &str, expires: i64, nonce: &str) -> String {
        format!("kith form token\0{purpose}\0{expires}\0{nonce}")
    }

    fn mac(&self, purpose: &str, expires: i64, nonce: &str) -> String {
        let message = Self::message(purpose, expires, nonce);
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.hmac_key(), message.as_bytes()))
    }

    /// A new token for the form `purpose`, valid until `expires` (Unix seconds).
    pub fn issue(&self, purpose: &str, expires: i64) -> String {
        let nonce = random_secret();
        let mac = self.mac(purpose, expires, &nonce);
        format!("{expires}.{nonce}.{mac}")
    }

    /// When `token` expires, if this key made it for `purpose` and it has not expired at `now`.
    pub fn verify(&self, purpose: &str, token: &str, now: i64) -> Option<i64> {
        let mut parts = token.splitn(3, '.');
        let (expires, nonce, mac) = (parts.next()?, parts.next()?, parts.next()?);
        let expires: i64 = expires.parse().ok()?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let message = Self::message(purpose, expires, nonce);
        // `hmac::verify` compares in constant time.
        let genuine = hmac::verify(&self.hmac_key(), message.as_bytes(), &mac).is_ok();
        (expires > now && genuine).then_some(expires)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mac_is_hmac_sha256_of_the_message() {
        // RFC 4231, test case 2, through the token's own encoding.
        let key = FormKey(b"Jefe".to_vec());
        let tag = hmac::sign(&key.hmac_key(), b"what do ya want for nothing?");
        assert_eq!(
            URL_SAFE_NO_PAD.encode(tag),
            URL_SAFE_NO_PAD.encode([
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
                0x64, 0xec, 0x38, 0x43
            ])
        );
    }

    #[test]
    fn tokens_hold_only_for_their_key_purpose_and_time() {
        let key = FormKey(b"one key".to_vec());
        let token = key.issue("sign_up", 1_000);
        assert_eq!(key.verify("sign_up", &token, 999), Some(1_000));
        assert_eq!(key.verify("sign_up", &token, 1_000), None, "expired");
        assert_eq!(key.verify("oauth_login", &token, 999), None, "other form");
        let other = FormKey(b"another key".to_vec());
        assert_eq!(other.verify("sign_up", &token, 999), None, "other key");
        let (rest, mac) = token.rsplit_once('.').unwrap();
        let later = rest.replacen("1000", "9000", 1);
        assert_eq!(key.verify("sign_up", &format!("{later}.{mac}"), 999), None);
        for junk in ["", "1000", "1000.x", "x.y.z", "1000..", "..."] {
            assert_eq!(key.verify("sign_up", junk, 0), None, "{junk:?}");
        }
        assert_ne!(
            key.issue("sign_up", 1_000),
            token,
            "each token has its own nonce"
        );
    }
}
