//! Whether compressing is cheaper than not, counting the provider's prompt cache.
//!
//! Providers bill a repeated prefix they have cached at a discount (a tenth of the input price
//! at Anthropic, half at OpenAI). A conversation whose prefix the provider reported cached on an
//! earlier turn will likely be cached again if it is sent unchanged; compressing it changes the
//! prefix, which then costs full price. So Sluice remembers, per prefix it sent, how many
//! cached tokens the provider reported (for a few minutes, about as long as providers keep a
//! prefix), and compresses only when the compressed request, at full price for what is not
//! cached, costs less than the unchanged one at its cached price.

use crate::pricing::Price;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Mutex;

/// Providers keep a cached prefix about 5 minutes after its last use.
const FRESH_MS: i64 = 5 * 60_000;

/// Prefixes remembered.
const REMEMBERED: usize = 4096;

/// Cached tokens the provider reported per prefix sent, and when.
pub struct PrefixMemory(Mutex<LruCache<[u8; 32], (i64, u64)>>);

impl Default for PrefixMemory {
    fn default() -> Self {
        PrefixMemory(Mutex::new(LruCache::new(NonZeroUsize::new(REMEMBERED).expect("nonzero"))))
    }
}

impl PrefixMemory {
    pub fn note(&self, prefix: [u8; 32], cached: u64, now_ms: i64) {
        self.0.lock().expect("prefix memory lock").put(prefix, (now_ms, cached));
    }

    /// What the provider last reported cached for this prefix, if recent.
    pub fn cached(&self, prefix: &[u8; 32], now_ms: i64) -> u64 {
        match self.0.lock().expect("prefix memory lock").get(prefix) {
            Some(&(at, cached)) if now_ms - at < FRESH_MS => cached,
            _ => 0,
        }
    }
}

/// The input cost of both ways, in USD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub compress: bool,
    pub unchanged_usd: f64,
    pub compressed_usd: f64,
}

/// `before`/`after`: the request's input tokens unchanged and compressed; `cached_before` and
/// `cached_after`: what the provider is expected to have cached of each; `overhead_usd`: what
/// compressing itself cost (a summary). Without a price, fewer tokens is taken to be cheaper.
pub fn decide(price: Option<&Price>, before: u64, after: u64, cached_before: u64, cached_after: u64, overhead_usd: f64) -> Verdict {
    let Some(p) = price else {
        return Verdict { compress: after < before, unchanged_usd: 0.0, compressed_usd: overhead_usd };
    };
    let cached_rate = p.cached_input.unwrap_or(p.input);
    let cost = |tokens: u64, cached: u64| {
        let cached = cached.min(tokens);
        ((tokens - cached) as f64 * p.input + cached as f64 * cached_rate) / 1e6
    };
    let (unchanged_usd, compressed_usd) = (cost(before, cached_before), cost(after, cached_after) + overhead_usd);
    Verdict { compress: compressed_usd < unchanged_usd, unchanged_usd, compressed_usd }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(input: f64, cached: f64) -> Price {
        Price { input, output: 15.0, cached_input: Some(cached), cache_write: None, batch_input: None, batch_output: None }
    }

    #[test]
    fn a_cached_prefix_can_make_compression_the_dearer_way() {
        // 10,000 tokens, 9,500 cached at a tenth of $3/M: $0.0015 + $0.00285 = $0.00435.
        // Compressed to 2,000 uncached tokens: $0.006. Left alone.
        let v = decide(Some(&price(3.0, 0.3)), 10_000, 2_000, 9_500, 0, 0.0);
        assert!(!v.compress);
        assert!((v.unchanged_usd - 0.00435).abs() < 1e-9 && (v.compressed_usd - 0.006).abs() < 1e-9);
        // At half price for cached tokens (OpenAI), the same compression pays: $0.01575 vs $0.006.
        assert!(decide(Some(&price(3.0, 1.5)), 10_000, 2_000, 9_500, 0, 0.0).compress);
        // Unless making it (a summary) costs more than it saves.
        assert!(!decide(Some(&price(3.0, 1.5)), 10_000, 2_000, 9_500, 0, 0.01).compress);
        // Nothing cached: fewer tokens, less money.
        assert!(decide(Some(&price(3.0, 0.3)), 10_000, 2_000, 0, 0, 0.0).compress);
        assert!(decide(None, 10_000, 2_000, 9_500, 0, 0.0).compress);
    }

    #[test]
    fn memory_forgets_after_a_few_minutes() {
        let m = PrefixMemory::default();
        m.note([1; 32], 900, 0);
        assert_eq!(m.cached(&[1; 32], FRESH_MS - 1), 900);
        assert_eq!(m.cached(&[1; 32], FRESH_MS), 0);
        assert_eq!(m.cached(&[2; 32], 0), 0);
    }
}
