//! Fuzz targets for everything that parses outside input: each client API's request parser,
//! each provider's event-stream decoder and the translators after it, the SSE framing, the
//! config file, and the exact cache's key. Property-based (proptest): arbitrary JSON shaped
//! like the real thing (the right keys with values of any type, nested) and arbitrary bytes,
//! each must be answered — an error is fine — without a panic.
//!
//! Stable Rust has no coverage-guided fuzzer (cargo-fuzz needs nightly), so inputs are
//! generated, not evolved. Cases per target: `SLUICE_FUZZ_CASES` (default 300, what the test
//! suite runs); `cargo xtask fuzz` runs 1,000,000 per target in release.

use crate::wire::{self, ClientApi, SseDecoder};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn cases() -> u32 {
    std::env::var("SLUICE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

/// Keys the parsers look for, so generated objects reach past the first check.
const KEYS: &[&str] = &[
    "model", "messages", "role", "content", "type", "text", "image_url", "url", "tools", "function", "name", "parameters", "tool_calls",
    "tool_call_id", "arguments", "id", "system", "max_tokens", "stream", "temperature", "input", "instructions", "contents", "parts",
    "inlineData", "functionCall", "functionResponse", "generationConfig", "systemInstruction", "thinking", "source", "data", "media_type",
    "tool_use_id", "input_schema", "delta", "index", "content_block", "message", "usage", "candidates", "finishReason", "output", "item",
    "response", "choices", "finish_reason", "signature", "partial_json", "cache_control", "response_format", "json_schema", "n",
];

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        prop::sample::select(KEYS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(KEYS), value()), 0..8).prop_map(|kv| kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_client_requests(body in object(), model in "\\PC{0,20}") {
        let _ = crate::server::validate_chat(&body);
        for api in [ClientApi::OpenaiChat, ClientApi::AnthropicMessages, ClientApi::OpenaiResponses, ClientApi::Gemini] {
            if let Ok(internal) = wire::to_internal(api, &body, &model) {
                let _ = crate::server::validate_chat(&internal);
                let _ = crate::cache::cache_key("fuzz", &internal);
            }
        }
    }

    #[test]
    fn fuzz_provider_streams(events in prop::collection::vec(value(), 0..12)) {
        let mut anthropic = wire::anthropic::stream::Decoder::default();
        let mut gemini = wire::gemini::response::Decoder::default();
        let mut responses = wire::responses::response::Decoder::default();
        let mut chunks = Vec::new();
        for e in &events {
            for decoded in [anthropic.event(e), gemini.event(e), responses.event(e)] {
                if let wire::Decoded::Chunks(c) | wire::Decoded::Done(c) = decoded {
                    chunks.extend(c);
                }
            }
        }
        // What the decoders made, as every client reads it.
        let mut acc = wire::ChunkAccumulator::default();
        let mut out = bytes::BytesMut::new();
        let mut to_anthropic = wire::anthropic::stream::Encoder::default();
        let mut to_gemini = wire::gemini::response::Encoder::default();
        let mut to_responses = wire::responses::response::Encoder::new(Vec::new());
        for c in chunks.iter().chain(&events) {
            acc.push(c);
            to_anthropic.chunk(c, &mut out);
            to_gemini.chunk(c);
            to_responses.chunk(c, &mut out);
        }
        to_anthropic.finish(&mut out);
        to_gemini.finish();
        to_responses.finish(&mut out);
        let completion = acc.into_completion();
        let _ = wire::gemini::response::to_completion(&completion);
        let _ = wire::responses::response::to_completion(&completion);
    }

    #[test]
    fn fuzz_sse_framing(pieces in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..12)) {
        let mut decoder = SseDecoder::default();
        for p in &pieces {
            for event in decoder.push(p) {
                let _ = serde_json::from_str::<Value>(&event.data);
            }
        }
        let _ = decoder.finish();
    }

    #[test]
    fn fuzz_config_files(text in "(\\[\\[?[a-z_.]{1,12}\\]\\]?\\n|[a-z_]{1,14} = (\"\\PC{0,10}\"|[0-9.e+-]{1,8}|true|false|\\[\\]|\\{\\})\\n|\\PC{0,20}\\n){0,16}") {
        if let Ok(config) = crate::config::Config::parse_toml(&text) {
            let _ = config.validate();
            let _ = config.to_toml();
        }
    }
}
