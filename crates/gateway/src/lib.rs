//! Sluice's engine: a local OpenAI-compatible gateway that caches, routes, fails over and
//! accounts for every LLM call. No Tauri here; the desktop app and `sluice serve` both start it
//! through [`Gateway`].

pub mod cache;
pub mod compress;
pub mod config;
mod engine;
pub mod embed;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;
pub mod pricing;
pub mod providers;
pub mod quality;
pub mod router;
pub mod secrets;
pub mod server;
pub mod store;
pub mod suites;
pub mod wire;

pub use engine::{ConfigUpdateError, Engine, EngineOptions, Runtime};
pub use server::{default_data_dir, Gateway, GatewayOptions, StartError};

/// Wall-clock time in Unix milliseconds, the unit of every timestamp Sluice stores.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Lowercase hex, for cache keys, partitions and checksums.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Milliseconds since `since`, to the microsecond (finer digits are noise).
pub fn elapsed_ms(since: std::time::Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e6).round() / 1e3
}
