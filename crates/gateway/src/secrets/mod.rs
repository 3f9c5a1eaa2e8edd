//! Provider keys. They live in the OS keychain (or, where there is none, in environment
//! variables) and in memory only inside a type that cannot be printed by accident: never in the
//! config, the database, logs or error messages.

mod keychain;
mod panics;

pub use keychain::{Keychain, KeychainError};
pub use panics::{install_hook as redact_panics, redact_all};

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// A provider key. `Debug` redacts it, so a stray `{:?}` in a log line is harmless.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        let value = value.into();
        panics::track(&value);
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Removes the key from text that may leave the process (upstream error bodies echo it).
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() >= 8 && text.contains(&*self.0) {
            text.replace(&*self.0, "[redacted]")
        } else {
            text.to_owned()
        }
    }
    /// The last four characters, which is all the UI ever shows; none for keys too short to
    /// show any of without giving much of them away.
    pub fn last4(&self) -> Option<String> {
        let chars: Vec<char> = self.0.chars().collect();
        (chars.len() >= 12).then(|| chars[chars.len() - 4..].iter().collect())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Where a provider's key was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyOrigin {
    Keychain,
    Env,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
}

/// The keys Sluice knows: the keychain first, then the provider's environment variable.
pub struct Keys {
    keychain: Result<Keychain, String>,
    /// Keychain reads, remembered: each is a D-Bus round trip (or a system prompt elsewhere).
    read: Mutex<HashMap<String, Option<Secret>>>,
}

impl Keys {
    pub fn new(keychain: Result<Keychain, String>) -> Keys {
        if let Err(why) = &keychain {
            tracing::warn!("the OS keychain is not available ({why}); provider keys come from environment variables only");
        }
        Keys { keychain, read: Mutex::new(HashMap::new()) }
    }

    /// The key for `provider_id` and where it came from; `env_var` is the provider's variable.
    pub fn key(&self, provider_id: &str, env_var: Option<&str>) -> Option<(Secret, KeyOrigin)> {
        if let Some(secret) = self.keychain_key(provider_id) {
            return Some((secret, KeyOrigin::Keychain));
        }
        let value = std::env::var(env_var?).ok()?;
        let value = value.trim();
        (!value.is_empty()).then(|| (Secret::new(value), KeyOrigin::Env))
    }

    fn keychain_key(&self, provider_id: &str) -> Option<Secret> {
        let keychain = self.keychain.as_ref().ok()?;
        if let Some(known) = self.read.lock().expect("key cache lock").get(provider_id) {
            return known.clone();
        }
        match keychain.get(provider_id) {
            Ok(found) => {
                self.read.lock().expect("key cache lock").insert(provider_id.to_owned(), found.clone());
                found
            }
            // Not remembered: a locked or busy keychain may answer next time.
            Err(e) => {
                tracing::warn!(provider = provider_id, "cannot read the key from the keychain: {e}");
                None
            }
        }
    }

    /// Stores a key in the keychain. Refuses values that cannot be an API key, saying why.
    pub fn set(&self, provider_id: &str, value: &str) -> Result<(), KeyError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(KeyError::Invalid("the key is empty: paste the provider's API key".into()));
        }
        if value.len() > 4096 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(KeyError::Invalid("this does not look like an API key (it has spaces or line breaks, or is very long): paste just the key".into()));
        }
        let keychain = self.keychain.as_ref().map_err(|why| KeychainError::Unavailable(why.clone()))?;
        let secret = Secret::new(value);
        keychain.set(provider_id, &secret)?;
        self.read.lock().expect("key cache lock").insert(provider_id.to_owned(), Some(secret));
        Ok(())
    }

    /// Removes a key from the keychain; `false` if there was none.
    pub fn remove(&self, provider_id: &str) -> Result<bool, KeyError> {
        let keychain = self.keychain.as_ref().map_err(|why| KeychainError::Unavailable(why.clone()))?;
        let removed = keychain.delete(provider_id)?;
        self.read.lock().expect("key cache lock").insert(provider_id.to_owned(), None);
        Ok(removed)
    }

    /// Why the keychain cannot be used, if it cannot.
    pub fn keychain_unavailable(&self) -> Option<&str> {
        self.keychain.as_ref().err().map(String::as_str)
    }

    pub fn keychain_service(&self) -> Option<&str> {
        self.keychain.as_ref().ok().map(Keychain::service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("sk-live-abcdef123456");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.redact("bad key sk-live-abcdef123456!"), "bad key [redacted]!");
        assert_eq!(s.last4().as_deref(), Some("3456"));
        assert_eq!(Secret::new("short-key").last4(), None);
    }

    #[test]
    fn keys_without_a_keychain_come_from_env_and_cannot_be_stored() {
        let keys = Keys::new(Err("no Secret Service on the session bus".into()));
        std::env::set_var("SLUICE_TEST_KEY_VAR", "  sk-from-env-123456  ");
        let (secret, origin) = keys.key("openai", Some("SLUICE_TEST_KEY_VAR")).expect("env key");
        assert_eq!((secret.expose(), origin), ("sk-from-env-123456", KeyOrigin::Env));
        assert!(keys.key("openai", Some("SLUICE_TEST_KEY_UNSET")).is_none());
        let err = keys.set("openai", "sk-abc-123456789").unwrap_err();
        assert!(err.to_string().contains("no Secret Service"), "{err}");
        assert!(matches!(keys.set("openai", "sk abc"), Err(KeyError::Invalid(_))));
    }
}
