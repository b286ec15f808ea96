//! RSA key pairs for actors (HTTP signatures), made with the `rsa` crate.

use crate::CoreError;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};

/// A key pair in PEM: PKCS#8 private key, SPKI public key (what `publicKeyPem` carries).
#[derive(Clone)]
pub struct KeyPair {
    /// `-----BEGIN PRIVATE KEY-----…`
    pub private_pem: String,
    /// `-----BEGIN PUBLIC KEY-----…`
    pub public_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair(..)")
    }
}

/// Makes a new RSA-2048 key pair. Takes a few hundred milliseconds: call it on the blocking pool.
pub fn generate_rsa_2048() -> Result<KeyPair, CoreError> {
    let mut rng = rand::thread_rng();
    let private = RsaPrivateKey::new(&mut rng, 2048)
        .map_err(|e| CoreError::Internal(format!("RSA key generation: {e}")))?;
    let public = RsaPublicKey::from(&private);
    let private_pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| CoreError::Internal(format!("encode private key: {e}")))?
        .to_string();
    let public_pem = public
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| CoreError::Internal(format!("encode public key: {e}")))?;
    Ok(KeyPair {
        private_pem,
        public_pem,
    })
}
