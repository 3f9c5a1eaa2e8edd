//! What a call cost and what it would have cost without Sluice.
//!
//! Provider-side cached prompt tokens are billed at the cached rate: `usage.prompt_tokens`
//! includes them, so they are taken out of the full-price share, never charged twice.

mod tokens;

pub use tokens::{count as count_tokens, estimate_usage};

use crate::config::PriceConfig;
use crate::wire::Usage;
use serde::Deserialize;
use std::collections::HashMap;

/// USD per 1M tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cached_input: Option<f64>,
    pub cache_write: Option<f64>,
    pub batch_input: Option<f64>,
    pub batch_output: Option<f64>,
}

impl Price {
    pub fn cost(&self, usage: Usage) -> f64 {
        let cached = usage.cached.min(usage.prompt);
        let written = usage.cache_write.min(usage.prompt - cached);
        let fresh = usage.prompt - cached - written;
        (fresh as f64 * self.input
            + cached as f64 * self.cached_input.unwrap_or(self.input)
            + written as f64 * self.cache_write.unwrap_or(self.input)
            + usage.completion as f64 * self.output)
            / 1e6
    }
}

impl From<&PriceConfig> for Price {
    fn from(p: &PriceConfig) -> Self {
        Price {
            input: p.input,
            output: p.output,
            cached_input: p.cached_input,
            cache_write: p.cache_write,
            batch_input: p.batch_input,
            batch_output: p.batch_output,
        }
    }
}

#[derive(Deserialize)]
struct BundledFile {
    price: Vec<BundledEntry>,
}

#[derive(Deserialize)]
struct BundledEntry {
    model: String,
    #[serde(flatten)]
    price: Price,
    #[allow(dead_code)] // kept in the data for people; parsed so a typo fails the tests
    source: String,
    #[allow(dead_code)]
    checked: String,
}

const BUNDLED: &str = include_str!("prices.toml");

/// Prices by "provider/model", with the config's `[[prices]]` over the bundled table.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    overrides: HashMap<String, Price>,
    bundled: HashMap<String, Price>,
    /// Bundled model names found under exactly one provider.
    bundled_by_model: HashMap<String, Price>,
}

impl PriceTable {
    pub fn new(overrides: &[PriceConfig]) -> Self {
        let file: BundledFile = toml::from_str(BUNDLED).expect("bundled prices.toml is valid (checked by a test)");
        let mut by_model: HashMap<String, Option<Price>> = HashMap::new();
        let mut bundled = HashMap::new();
        for entry in file.price {
            if let Some((_, model)) = entry.model.split_once('/') {
                by_model.entry(model.to_owned()).and_modify(|p| *p = None).or_insert(Some(entry.price));
            }
            bundled.insert(entry.model, entry.price);
        }
        PriceTable {
            overrides: overrides.iter().map(|p| (p.model.clone(), Price::from(p))).collect(),
            bundled,
            bundled_by_model: by_model.into_iter().filter_map(|(m, p)| Some((m, p?))).collect(),
        }
    }

    /// The price of `model` on `provider`, trying the name as given and without a date suffix.
    pub fn lookup(&self, provider: &str, model: &str) -> Option<Price> {
        let undated = strip_date_suffix(model);
        [model, undated].into_iter().find_map(|m| {
            let full = format!("{provider}/{m}");
            self.overrides
                .get(&full)
                .or_else(|| self.overrides.get(m))
                .or_else(|| self.bundled.get(&full))
                // OpenRouter-style ids ("openai/gpt-4o-mini") are full keys themselves.
                .or_else(|| self.bundled.get(m))
                .or_else(|| self.bundled_by_model.get(m))
                .copied()
        })
    }

    /// The models priced under `provider` (bundled and configured).
    pub fn models_of<'a>(&'a self, provider: &'a str) -> impl Iterator<Item = String> + 'a {
        self.overrides.keys().chain(self.bundled.keys()).filter_map(move |k| k.strip_prefix(provider)?.strip_prefix('/').map(str::to_owned))
    }

    /// True when `provider/model` itself has a price (not a fallback by model name).
    pub fn lists(&self, provider: &str, model: &str) -> bool {
        [model, strip_date_suffix(model)].into_iter().any(|m| {
            let full = format!("{provider}/{m}");
            self.overrides.contains_key(&full) || self.bundled.contains_key(&full)
        })
    }

    pub fn cost(&self, provider: &str, model: &str, usage: Usage) -> Option<f64> {
        self.lookup(provider, model).map(|p| p.cost(usage))
    }
}

/// `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`, `claude-sonnet-4-20250514` → `claude-sonnet-4`.
fn strip_date_suffix(model: &str) -> &str {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if let Some((head, tail)) = model.rsplit_once('-') {
        if tail == "latest" || (tail.len() == 8 && digits(tail)) {
            return head;
        }
    }
    let parts: Vec<&str> = model.rsplitn(4, '-').collect();
    if parts.len() == 4 && parts[0].len() == 2 && parts[1].len() == 2 && parts[2].len() == 4 && parts[..3].iter().all(|p| digits(p)) {
        return parts[3];
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_parses_and_prices_cached_tokens_at_the_cached_rate() {
        let t = PriceTable::new(&[]);
        let p = t.lookup("openai", "gpt-4o-mini").unwrap();
        let usage = Usage { prompt: 1_000_000, completion: 1_000_000, cached: 400_000, cache_write: 0 };
        // 600k fresh × 0.15 + 400k cached × 0.075 + 1M × 0.60
        assert!((p.cost(usage) - (0.09 + 0.03 + 0.60)).abs() < 1e-12);
    }

    #[test]
    fn cache_writes_are_priced_at_the_write_rate() {
        let p = PriceTable::new(&[]).lookup("anthropic", "claude-sonnet-4-5-20250929").unwrap();
        let usage = Usage { prompt: 1_000_000, completion: 0, cached: 500_000, cache_write: 200_000 };
        // 300k fresh × 3 + 500k read × 0.30 + 200k written × 3.75
        assert!((p.cost(usage) - (0.9 + 0.15 + 0.75)).abs() < 1e-12);
    }

    #[test]
    fn lookup_order_and_fallbacks() {
        let overrides = [PriceConfig { model: "gpt-4o-mini".into(), input: 1.0, output: 2.0, cached_input: None, cache_write: None, batch_input: None, batch_output: None }];
        let t = PriceTable::new(&overrides);
        assert_eq!(t.lookup("openai", "gpt-4o-mini").unwrap().input, 1.0, "a bare override applies to every provider");
        assert_eq!(t.lookup("openai", "gpt-4o-2024-08-06").unwrap().input, 2.5, "date suffixes are ignored");
        assert_eq!(t.lookup("anthropic", "claude-sonnet-4-20250514").unwrap().output, 15.0);
        assert_eq!(t.lookup("openrouter", "openai/gpt-4.1").unwrap().input, 2.0, "OpenRouter ids are full keys");
        assert_eq!(t.lookup("my-openai", "gpt-4.1-nano").unwrap().input, 0.10, "unambiguous model names price custom ids");
        assert_eq!(t.lookup("openai", "no-such-model"), None);
    }

    #[test]
    fn date_suffixes() {
        assert_eq!(strip_date_suffix("gpt-4o-mini-2024-07-18"), "gpt-4o-mini");
        assert_eq!(strip_date_suffix("claude-3-5-haiku-20241022"), "claude-3-5-haiku");
        assert_eq!(strip_date_suffix("mistral-small-latest"), "mistral-small");
        assert_eq!(strip_date_suffix("gpt-4.1"), "gpt-4.1");
        assert_eq!(strip_date_suffix("o3"), "o3");
    }
}
