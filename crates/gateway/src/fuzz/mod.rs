//! Fuzz targets for everything that parses outside input: each client API's request parser,
//! each provider's event-stream decoder and the translators after it, the SSE framing, the
//! config file, and the exact cache's key. Each must answer any input (an error is fine)
//! without a panic, a hang or an allocation out of proportion to the input.
//!
//! The targets run two ways:
//! - on generated inputs, in the test suite and `cargo xtask fuzz` (`generated`, proptest);
//! - coverage-guided, under AFL++ (`cargo xtask fuzz --afl`, the `fuzz/` crate, built with this
//!   module's `fuzzing` feature), which feeds [`from_bytes`] the inputs it evolves. cargo-fuzz
//!   needs nightly; afl.rs instruments on stable.

#[cfg(test)]
mod generated;

/// The targets, by the name `from_bytes` and `cargo xtask fuzz --afl` know them by.
pub const TARGETS: &[&str] = &["client-requests", "provider-streams", "sse-framing", "config-files"];

/// Runs `target` on raw bytes, as a coverage-guided fuzzer hands them over: a request body
/// (its `model` as the model), newline-separated provider events, SSE bytes cut at each 0xFF
/// byte into the pieces a socket might deliver, or a config file.
pub fn from_bytes(target: &str, data: &[u8]) {
    use serde_json::{Map, Value};
    match target {
        "client-requests" => {
            if let Ok(body) = serde_json::from_slice::<Map<String, Value>>(data) {
                let model = body.get("model").and_then(Value::as_str).unwrap_or_default().to_owned();
                targets::client_request(&body, &model);
            }
        }
        "provider-streams" => {
            let events: Vec<Value> = data.split(|b| *b == b'\n').filter_map(|line| serde_json::from_slice(line).ok()).collect();
            targets::provider_stream(&events);
        }
        "sse-framing" => {
            let pieces: Vec<Vec<u8>> = data.split(|b| *b == 0xFF).map(<[u8]>::to_vec).collect();
            targets::sse_framing(&pieces);
        }
        "config-files" => targets::config_file(&String::from_utf8_lossy(data)),
        other => panic!("no fuzz target `{other}`; the targets are {TARGETS:?}"),
    }
}

mod targets {
    use crate::wire::{self, ClientApi, SseDecoder};
    use serde_json::{Map, Value};

    /// Every client API's parser, the chat validation after it, the exact cache's key, and
    /// the request each provider would be sent.
    pub fn client_request(body: &Map<String, Value>, model: &str) {
        let _ = crate::server::validate_chat(body);
        for api in [ClientApi::OpenaiChat, ClientApi::AnthropicMessages, ClientApi::OpenaiResponses, ClientApi::Gemini] {
            if let Ok(internal) = wire::to_internal(api, body, model) {
                let _ = crate::server::validate_chat(&internal);
                let _ = crate::cache::cache_key("fuzz", &internal);
                let _ = wire::anthropic::request::from_internal(&internal, model);
                let _ = wire::gemini::request::from_internal(&internal);
            }
        }
    }

    /// Each provider's stream decoder, then what they made (and the raw events) through the
    /// accumulator and every client API's stream encoder; and each event read as a provider's
    /// whole (non-streamed) answer, written back as every client API's.
    pub fn provider_stream(events: &[Value]) {
        let mut anthropic = wire::anthropic::stream::Decoder::default();
        let mut gemini = wire::gemini::response::Decoder::default();
        let mut responses = wire::responses::response::Decoder::default();
        let mut chunks = Vec::new();
        for e in events {
            for whole in [wire::anthropic::message::to_completion(e), wire::gemini::response::to_completion(e), wire::responses::response::to_completion(e)] {
                answer(&whole);
            }
            for decoded in [anthropic.event(e), gemini.event(e), responses.event(e)] {
                if let wire::Decoded::Chunks(c) | wire::Decoded::Done(c) = decoded {
                    chunks.extend(c);
                }
            }
        }
        let mut acc = wire::ChunkAccumulator::default();
        let mut out = bytes::BytesMut::new();
        let mut to_anthropic = wire::anthropic::stream::Encoder::default();
        let mut to_gemini = wire::gemini::response::Encoder::default();
        let mut to_responses = wire::responses::response::Encoder::new(Vec::new());
        for c in chunks.iter().chain(events) {
            acc.push(c);
            to_anthropic.chunk(c, &mut out);
            to_gemini.chunk(c);
            to_responses.chunk(c, &mut out);
        }
        to_anthropic.finish(&mut out);
        to_gemini.finish();
        to_responses.finish(&mut out);
        answer(&acc.into_completion());
    }

    /// A whole answer as each client API returns it, and as a cache hit replays it.
    fn answer(completion: &Value) {
        let _ = wire::anthropic::message::from_completion(completion);
        let _ = wire::gemini::response::from_completion(completion);
        let _ = wire::responses::response::from_completion(completion, &[]);
        let _ = wire::completion_to_chunks(completion, true);
    }

    /// SSE framing over pieces as a socket delivers them, and each event's JSON.
    pub fn sse_framing(pieces: &[Vec<u8>]) {
        let mut decoder = SseDecoder::default();
        for p in pieces {
            for event in decoder.push(p) {
                let _ = serde_json::from_str::<Value>(&event.data);
            }
        }
        let _ = decoder.finish();
    }

    /// A config file: parsed, validated and written back.
    pub fn config_file(text: &str) {
        if let Ok(config) = crate::config::Config::parse_toml(text) {
            let _ = config.validate();
            let _ = config.to_toml();
        }
    }
}
