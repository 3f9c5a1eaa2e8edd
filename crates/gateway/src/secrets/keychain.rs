//! The OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on Linux)
//! through `keyring`. Keys are filed under one service name per data dir, so isolated profiles
//! (tests, a second instance) never see each other's keys.

use super::Secret;
use keyring::Entry;

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("the OS keychain is not available ({0}). Set the provider's key in its environment variable (the provider's api_key_env, e.g. OPENAI_API_KEY) before starting Sluice instead")]
    Unavailable(String),
    #[error("the OS keychain refused: {0}")]
    Failed(String),
}

pub struct Keychain {
    service: String,
}

impl Keychain {
    /// Opens the keychain, or says why there is none (no Secret Service on a headless Linux
    /// box, a locked keychain, ...). A read of a probe entry proves it answers.
    pub fn open(service: impl Into<String>) -> Result<Keychain, String> {
        let keychain = Keychain { service: service.into() };
        if let Err(e) = Entry::store_status() {
            return Err(e.to_string());
        }
        match keychain.get("_probe") {
            Ok(_) => Ok(keychain),
            Err(KeychainError::Unavailable(why) | KeychainError::Failed(why)) => Err(why),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, provider_id: &str) -> Result<Entry, KeychainError> {
        Entry::new(&self.service, provider_id).map_err(unavailable)
    }

    pub fn get(&self, provider_id: &str) -> Result<Option<Secret>, KeychainError> {
        match self.entry(provider_id)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub fn set(&self, provider_id: &str, secret: &Secret) -> Result<(), KeychainError> {
        self.entry(provider_id)?.set_password(secret.expose()).map_err(|e| KeychainError::Failed(secret.redact(&e.to_string())))
    }

    /// `false` when there was no key to delete.
    pub fn delete(&self, provider_id: &str) -> Result<bool, KeychainError> {
        match self.entry(provider_id)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(KeychainError::Failed(e.to_string())),
        }
    }
}

fn unavailable(e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) | keyring::Error::NoDefaultStore => KeychainError::Unavailable(e.to_string()),
        other => KeychainError::Failed(other.to_string()),
    }
}
