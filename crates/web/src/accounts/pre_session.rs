//! The CSRF value of the forms used before a session exists (log in, sign up):
//! `random.hmac`, where the HMAC-SHA256 is over the random part under a server
//! key. A plain double-submit cookie trusts any equal cookie and field pair,
//! and an attacker who can plant a cookie (a sibling subdomain, a plain-HTTP
//! hop) can plant both; the signature means only values this server made pass.
//!
//! The key is made once and kept in the database, so every process sharing it
//! signs and verifies alike and a restart does not break open forms.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::auth::{constant_time_eq, hex, random_secret};

/// The key's name in the store's server secrets.
pub const KEY_NAME: &str = "pre_session_csrf";

/// Hex digits of the random part and of the signature.
const RANDOM_LEN: usize = 64;
const MAC_LEN: usize = 64;

pub struct PreSessionCsrf {
    key: Vec<u8>,
}

impl PreSessionCsrf {
    pub fn new(key: &str) -> Self {
        Self {
            key: key.as_bytes().to_vec(),
        }
    }

    fn mac(&self) -> anyhow::Result<Hmac<Sha256>> {
        Hmac::<Sha256>::new_from_slice(&self.key)
            .map_err(|e| anyhow::anyhow!("Failed to key the CSRF signature: {e}"))
    }

    /// A fresh signed value for a new visitor.
    pub fn issue(&self) -> anyhow::Result<String> {
        let random = random_secret()?;
        let mut mac = self.mac()?;
        mac.update(random.as_bytes());
        Ok(format!("{random}.{}", hex(&mac.finalize().into_bytes())))
    }

    /// Whether `value` is one this server signed; the comparison of the
    /// signature takes the same time wherever it differs.
    pub fn is_signed(&self, value: &str) -> bool {
        let Some((random, signature)) = value.split_once('.') else {
            return false;
        };
        if random.len() != RANDOM_LEN
            || signature.len() != MAC_LEN
            || !random.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return false;
        }
        let Ok(mut mac) = self.mac() else {
            return false;
        };
        mac.update(random.as_bytes());
        constant_time_eq(&hex(&mac.finalize().into_bytes()), signature)
    }

    /// A form passes when its field equals the cookie and the value is signed.
    pub fn verify(&self, cookie: Option<&str>, field: &str) -> bool {
        match cookie {
            Some(cookie) if !field.is_empty() => {
                constant_time_eq(cookie, field) && self.is_signed(field)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_value_verifies_and_any_change_or_other_key_does_not() {
        let csrf = PreSessionCsrf::new("server key");
        let value = csrf.issue().unwrap();
        assert!(csrf.verify(Some(&value), &value));
        assert!(!csrf.verify(None, &value));
        assert!(!csrf.verify(Some(&value), ""));
        let other = csrf.issue().unwrap();
        assert!(
            !csrf.verify(Some(&other), &value),
            "cookie and field differ"
        );
        assert!(!PreSessionCsrf::new("another key").verify(Some(&value), &value));
        let (random, signature) = value.split_once('.').unwrap();
        let last = if signature.ends_with('0') { '1' } else { '0' };
        let flipped = format!("{random}.{}{last}", &signature[..MAC_LEN - 1]);
        assert!(!csrf.is_signed(&flipped));
        let unsigned = "0".repeat(RANDOM_LEN);
        assert!(!csrf.verify(Some(&unsigned), &unsigned));
        let forged = format!("{unsigned}.{}", "0".repeat(MAC_LEN));
        assert!(!csrf.verify(Some(&forged), &forged));
    }
}
