//! Token counts as upstreams report them in `usage`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Where the internal (OpenAI-shaped) `usage` keeps prompt-cache writes, which OpenAI's own
/// format has no field for.
pub const CACHE_WRITE_FIELD: &str = "cache_write_tokens";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// All prompt tokens, including the provider-cached ones.
    pub prompt: u64,
    pub completion: u64,
    /// Prompt tokens the provider served from its own prompt cache (billed at the cached rate).
    pub cached: u64,
    /// Prompt tokens the provider wrote to its prompt cache (Anthropic bills them above the
    /// input rate); like `cached`, part of `prompt`.
    #[serde(default)]
    pub cache_write: u64,
}

impl Usage {
    /// Reads an OpenAI `usage` object; `None` when absent or not an object.
    pub fn from_json(usage: &Value) -> Option<Usage> {
        let obj = usage.as_object()?;
        let n = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
        Some(Usage {
            prompt: n(obj.get("prompt_tokens")),
            completion: n(obj.get("completion_tokens")),
            cached: n(obj.get("prompt_tokens_details").and_then(|d| d.get("cached_tokens"))),
            cache_write: n(obj.get("prompt_tokens_details").and_then(|d| d.get(CACHE_WRITE_FIELD))),
        })
    }

    pub fn to_json(self) -> Value {
        json!({
            "prompt_tokens": self.prompt,
            "completion_tokens": self.completion,
            "total_tokens": self.prompt + self.completion,
            "prompt_tokens_details": { "cached_tokens": self.cached, CACHE_WRITE_FIELD: self.cache_write },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cached_prompt_tokens() {
        let u = Usage::from_json(&json!({"prompt_tokens": 100, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 64}}));
        assert_eq!(u, Some(Usage { prompt: 100, completion: 7, cached: 64, cache_write: 0 }));
        assert_eq!(Usage::from_json(&Value::Null), None);
    }
}
