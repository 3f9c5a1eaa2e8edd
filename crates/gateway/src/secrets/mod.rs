//! Provider keys. They come from a key source (env vars here; the OS keychain joins in the
//! desktop app) and live only in memory, in a type that cannot be printed by accident.

use std::fmt;
use std::sync::Arc;

/// A provider key. `Debug` and `Display` redact it, so a stray `{:?}` in a log line is harmless.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Secret(value.into())
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
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Where a provider's key comes from.
pub trait KeySource: Send + Sync {
    /// The key for `provider_id`; `env_var` is the provider's configured variable, if any.
    fn key(&self, provider_id: &str, env_var: Option<&str>) -> Option<Secret>;
}

/// Keys from environment variables (`sluice serve` without a keychain).
pub struct EnvKeys;

impl KeySource for EnvKeys {
    fn key(&self, _provider_id: &str, env_var: Option<&str>) -> Option<Secret> {
        let value = std::env::var(env_var?).ok()?;
        let value = value.trim();
        (!value.is_empty()).then(|| Secret::new(value))
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
    }
}
