//! Anti-forgery tokens for forms that people fill in before they have any session: the
//! sign-up page and the OAuth sign-in page. A token is `EXPIRY.NONCE.MAC`, where MAC is
//! HMAC-SHA256 (RFC 2104) over the form's purpose, the expiry and the nonce, keyed with a
//! random secret kept in `instance_settings` (made once, on first use, by whichever process
//! gets there first), so any Kith process sharing the database can check a token another one
//! issued, and nothing is kept per visitor. The HTTP side (a cookie holding the token and the
//! same token in the form: a signed double submit) is `kith_api::form_guard`.

use crate::tokens::{digest, random_secret};
use kith_storage::{settings, Db, StorageError};
use sha2::{Digest, Sha256};

/// The setting that holds the key.
pub const KEY_SETTING: &str = "form_token_key";

/// SHA-256's block size, which HMAC pads its key to.
const BLOCK: usize = 64;

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

/// HMAC-SHA256 of `message` under `key` (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl FormKey {
    fn mac(&self, purpose: &str, expires: i64, nonce: &str) -> String {
        let message = format!("kith form token\0{purpose}\0{expires}\0{nonce}");
        hex(&hmac_sha256(&self.0, message.as_bytes()))
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
        let expected = self.mac(purpose, expires, nonce);
        // Compare digests, so the comparison's timing says nothing about the expected MAC.
        (expires > now && digest(&expected) == digest(mac)).then_some(expires)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 1.
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than a block is hashed first.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
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
