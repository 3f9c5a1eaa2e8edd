//! Token estimates for upstreams that report no `usage` (some local servers, cut streams).
//! o200k_base is exact for current OpenAI models and a fair estimate for the rest; the
//! request log marks such counts as estimated.

use crate::wire::Usage;
use serde_json::Value;
use std::sync::OnceLock;
use tiktoken_rs::CoreBPE;

/// Per-message overhead of the chat format (role and separators), as OpenAI documents it.
const TOKENS_PER_MESSAGE: u64 = 3;

fn bpe() -> &'static CoreBPE {
    static BPE: OnceLock<CoreBPE> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::o200k_base().expect("bundled o200k_base vocabulary loads"))
}

/// Tokens in `text` (o200k_base). Loads the vocabulary on first use (~100 ms).
pub fn count(text: &str) -> u64 {
    bpe().encode_with_special_tokens(text).len() as u64
}

/// Estimates usage from the request's messages and the answer's text. Loads the vocabulary on
/// first use (~100 ms), so call it off the async runtime.
pub fn estimate_usage(messages: &Value, output: &str) -> Usage {
    let mut prompt = TOKENS_PER_MESSAGE;
    for message in messages.as_array().into_iter().flatten() {
        prompt += TOKENS_PER_MESSAGE;
        match message.get("content") {
            Some(Value::String(text)) => prompt += count(text),
            Some(Value::Array(parts)) => {
                for part in parts {
                    if let Some(text) = part.get("text").and_then(Value::as_str) {
                        prompt += count(text);
                    }
                }
            }
            _ => {}
        }
        if let Some(calls) = message.get("tool_calls") {
            prompt += count(&calls.to_string());
        }
    }
    Usage { prompt, completion: count(output), ..Usage::default() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn estimates_are_plausible() {
        let u = estimate_usage(&json!([{"role": "user", "content": "Hello there, how are you?"}]), "Fine, thanks.");
        assert!((8..=20).contains(&u.prompt), "{u:?}");
        assert!((3..=6).contains(&u.completion), "{u:?}");
    }
}
