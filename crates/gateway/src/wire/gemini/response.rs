//! Gemini answers (`GenerateContentResponse`) ↔ internal completions and chunks.
//!
//! A streamed Gemini answer is a series of whole `GenerateContentResponse`s, each with the next
//! parts; function calls arrive whole, and the last one carries `finishReason` and the final
//! `usageMetadata`. There is no end marker: the stream is complete once a finish reason came.
//! Thought parts travel as `reasoning_content`; a call's `thoughtSignature` as the tool call's
//! `thought_signature`. A blocked prompt (`promptFeedback.blockReason`, no candidates) and
//! safety stops end as `content_filter`.

use super::request::call_id;
use crate::wire::{Decoded, Usage};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub fn finish_to_internal(reason: &str, called: bool) -> String {
    match reason {
        "STOP" if called => "tool_calls".into(),
        "STOP" => "stop".into(),
        "MAX_TOKENS" => "length".into(),
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => "content_filter".into(),
        // MALFORMED_FUNCTION_CALL, OTHER, and anything newer: not a finish Sluice may cache.
        other => other.to_ascii_lowercase(),
    }
}

pub fn finish_from_internal(finish: &str) -> String {
    match finish {
        "stop" | "tool_calls" | "function_call" => "STOP".into(),
        "length" => "MAX_TOKENS".into(),
        "content_filter" => "SAFETY".into(),
        other => other.to_ascii_uppercase(),
    }
}

pub fn usage_to_internal(u: &Value) -> Usage {
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    Usage { prompt: n("promptTokenCount"), completion: n("candidatesTokenCount") + n("thoughtsTokenCount"), cached: n("cachedContentTokenCount"), cache_write: 0 }
}

pub fn usage_from_internal(u: Usage) -> Value {
    json!({"promptTokenCount": u.prompt, "candidatesTokenCount": u.completion, "totalTokenCount": u.prompt + u.completion, "cachedContentTokenCount": u.cached})
}

/// Reads the parts of one response; `calls` counts the calls seen so far in the answer.
struct Parts {
    text: Option<String>,
    thought: Option<String>,
    calls: Vec<Value>,
}

fn parts(response: &Value, calls_before: usize) -> Parts {
    let mut out = Parts { text: None, thought: None, calls: Vec::new() };
    for p in response.pointer("/candidates/0/content/parts").and_then(Value::as_array).into_iter().flatten() {
        if let Some(call) = p.get("functionCall") {
            let name = call.get("name").and_then(Value::as_str).unwrap_or("");
            let n = calls_before + out.calls.len();
            let id = call.get("id").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| call_id(n, name));
            let mut tc = json!({"index": n, "id": id, "type": "function", "function": {"name": name, "arguments": call.get("args").cloned().unwrap_or_else(|| json!({})).to_string()}});
            if let Some(sig) = p.get("thoughtSignature") {
                tc["thought_signature"] = sig.clone();
            }
            out.calls.push(tc);
        } else if let Some(t) = p.get("text").and_then(Value::as_str) {
            let slot = if p.get("thought").and_then(Value::as_bool) == Some(true) { &mut out.thought } else { &mut out.text };
            slot.get_or_insert_with(String::new).push_str(t);
        }
    }
    out
}

fn finish_reason(response: &Value) -> Option<&str> {
    response.pointer("/candidates/0/finishReason").and_then(Value::as_str).or_else(|| response.pointer("/promptFeedback/blockReason").map(|_| "SAFETY"))
}

pub fn to_completion(response: &Value) -> Value {
    let p = parts(response, 0);
    let mut message = Map::new();
    message.insert("role".into(), json!("assistant"));
    message.insert("content".into(), p.text.map(Value::String).unwrap_or(Value::Null));
    if let Some(t) = p.thought {
        message.insert("reasoning_content".into(), json!(t));
    }
    let called = !p.calls.is_empty();
    if called {
        let calls = p.calls.into_iter().map(|mut c| {
            c.as_object_mut().expect("an object").remove("index");
            c
        });
        message.insert("tool_calls".into(), Value::Array(calls.collect()));
    }
    let finish = finish_to_internal(finish_reason(response).unwrap_or("STOP"), called);
    json!({
        "id": response.get("responseId").cloned().unwrap_or(Value::Null),
        "object": "chat.completion",
        "created": crate::now_ms() / 1000,
        "model": response.get("modelVersion").cloned().unwrap_or(Value::Null),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage_to_internal(response.get("usageMetadata").unwrap_or(&Value::Null)).to_json(),
    })
}

fn candidate(parts: Vec<Value>, finish: Option<String>) -> Value {
    let mut c = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    if let Some(f) = finish {
        c["finishReason"] = json!(f);
    }
    c
}

fn call_part(call: &Value) -> Value {
    let args: Value = call.pointer("/function/arguments").and_then(Value::as_str).and_then(|a| serde_json::from_str(a).ok()).unwrap_or_else(|| json!({}));
    let mut part = json!({"functionCall": {"name": call.pointer("/function/name"), "args": args}});
    if let Some(sig) = call.get("thought_signature") {
        part["thoughtSignature"] = sig.clone();
    }
    part
}

pub fn from_completion(completion: &Value) -> Value {
    let choice = completion.pointer("/choices/0").cloned().unwrap_or(Value::Null);
    let message = &choice["message"];
    let mut parts = Vec::new();
    if let Some(t) = message.get("reasoning_content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        parts.push(json!({"text": t, "thought": true}));
    }
    if let Some(t) = message.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        parts.push(json!({"text": t}));
    }
    parts.extend(message.get("tool_calls").and_then(Value::as_array).into_iter().flatten().map(call_part));
    let finish = finish_from_internal(choice.get("finish_reason").and_then(Value::as_str).unwrap_or("stop"));
    let usage = completion.get("usage").and_then(Usage::from_json).unwrap_or_default();
    json!({"candidates": [candidate(parts, Some(finish))], "usageMetadata": usage_from_internal(usage),
           "modelVersion": completion.get("model"), "responseId": completion.get("id")})
}

/// One stream response as SSE, as Gemini writes them.
pub fn sse(response: &Value) -> bytes::Bytes {
    let mut out = bytes::BytesMut::from(&b"data: "[..]);
    out.extend_from_slice(response.to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.freeze()
}

/// Gemini stream responses → internal chunks.
#[derive(Default)]
pub struct Decoder {
    started: bool,
    calls: usize,
}

impl Decoder {
    pub fn event(&mut self, response: &Value) -> Decoded {
        if let Some(e) = response.get("error") {
            return Decoded::Error(format!("{}: {}", e.get("status").and_then(Value::as_str).unwrap_or("error"), e.get("message").and_then(Value::as_str).unwrap_or("no details")));
        }
        let head = |delta: Value, finish: Value| {
            json!({"id": response.get("responseId"), "object": "chat.completion.chunk", "created": crate::now_ms() / 1000, "model": response.get("modelVersion"),
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        };
        let mut chunks = Vec::new();
        if !self.started {
            self.started = true;
            chunks.push(head(json!({"role": "assistant", "content": ""}), Value::Null));
        }
        let p = parts(response, self.calls);
        self.calls += p.calls.len();
        if let Some(t) = p.thought {
            chunks.push(head(json!({"reasoning_content": t}), Value::Null));
        }
        if let Some(t) = p.text {
            chunks.push(head(json!({"content": t}), Value::Null));
        }
        if !p.calls.is_empty() {
            chunks.push(head(json!({"tool_calls": p.calls}), Value::Null));
        }
        let Some(reason) = finish_reason(response) else { return Decoded::Chunks(chunks) };
        chunks.push(head(json!({}), json!(finish_to_internal(reason, self.calls > 0))));
        let mut usage = head(Value::Null, Value::Null);
        usage["choices"] = json!([]);
        usage["usage"] = usage_to_internal(response.get("usageMetadata").unwrap_or(&Value::Null)).to_json();
        chunks.push(usage);
        Decoded::Done(chunks)
    }
}

/// Internal chunks → Gemini stream responses. Function calls are sent whole once their
/// arguments are complete (at the finish), as Gemini does.
#[derive(Default)]
pub struct Encoder {
    model: Value,
    id: Value,
    /// By the upstream's index, sparsely (see `wire::accumulate`).
    calls: BTreeMap<usize, Value>,
    finish: Option<String>,
    usage: Usage,
}

impl Encoder {
    /// The responses one internal chunk becomes (often one, sometimes none).
    pub fn chunk(&mut self, chunk: &Value) -> Vec<Value> {
        if self.model.is_null() {
            self.model = chunk.get("model").cloned().unwrap_or(Value::Null);
            self.id = chunk.get("id").cloned().unwrap_or(Value::Null);
        }
        if let Some(u) = chunk.get("usage").and_then(Usage::from_json) {
            self.usage = u;
        }
        let mut parts = Vec::new();
        for choice in chunk.get("choices").and_then(Value::as_array).into_iter().flatten().filter(|c| c.get("index").and_then(Value::as_u64).unwrap_or(0) == 0) {
            let delta = &choice["delta"];
            if let Some(t) = delta.get("reasoning_content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                parts.push(json!({"text": t, "thought": true}));
            }
            if let Some(t) = delta.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                parts.push(json!({"text": t}));
            }
            for call in delta.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
                let Some(n) = crate::wire::slot(call.get("index").and_then(Value::as_u64).unwrap_or(0)) else { continue };
                let slot = self.calls.entry(n).or_insert_with(|| json!({"function": {"name": "", "arguments": ""}}));
                for key in ["id", "thought_signature"] {
                    if let Some(v) = call.get(key).filter(|v| !v.is_null()) {
                        slot[key] = v.clone();
                    }
                }
                for key in ["name", "arguments"] {
                    if let Some(piece) = call.pointer(&format!("/function/{key}")).and_then(Value::as_str) {
                        let joined = format!("{}{piece}", slot["function"][key].as_str().unwrap_or(""));
                        slot["function"][key] = json!(joined);
                    }
                }
            }
            if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
                self.finish = Some(f.to_owned());
            }
        }
        if parts.is_empty() {
            return Vec::new();
        }
        vec![self.response(parts, None, None)]
    }

    /// The last response of a complete answer: pending calls, finish reason, usage.
    pub fn finish(&mut self) -> Value {
        let parts = self.calls.values().map(call_part).collect();
        let finish = finish_from_internal(self.finish.as_deref().unwrap_or("stop"));
        self.response(parts, Some(finish), Some(usage_from_internal(self.usage)))
    }

    fn response(&self, parts: Vec<Value>, finish: Option<String>, usage: Option<Value>) -> Value {
        let mut r = json!({"candidates": [candidate(parts, finish)], "modelVersion": self.model, "responseId": self.id});
        if let Some(u) = usage {
            r["usageMetadata"] = u;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ChunkAccumulator;

    #[test]
    fn a_lone_high_tool_call_index_is_one_call() {
        let mut e = Encoder::default();
        e.chunk(&json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 479, "function": {"name": "f", "arguments": "{}"}}]}}]}));
        let parts = &e.finish()["candidates"][0]["content"]["parts"];
        assert_eq!(parts.as_array().unwrap().len(), 1);
        assert_eq!(parts[0]["functionCall"]["name"], "f");
    }

    #[test]
    fn a_huge_tool_call_index_is_left_out_not_allocated() {
        let mut e = Encoder::default();
        e.chunk(&json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 8019234099747291120u64, "function": {"name": "f"}}]}}]}));
        assert!(e.calls.is_empty());
    }

    fn gemini_answer() -> Value {
        json!({"candidates": [{"content": {"role": "model", "parts": [
                {"text": "Thinking it over.", "thought": true},
                {"text": "It is sunny."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}]},
              "finishReason": "STOP", "index": 0}],
              "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 2, "cachedContentTokenCount": 4, "totalTokenCount": 17},
              "modelVersion": "gemini-2.5-flash", "responseId": "r1"})
    }

    #[test]
    fn a_whole_answer_survives_the_internal_form() {
        let completion = to_completion(&gemini_answer());
        assert_eq!(completion["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(Usage::from_json(&completion["usage"]).unwrap(), Usage { prompt: 10, completion: 7, cached: 4, cache_write: 0 });
        let back = from_completion(&completion);
        assert_eq!(back["candidates"][0]["content"], gemini_answer()["candidates"][0]["content"]);
        assert_eq!(back["candidates"][0]["finishReason"], "STOP");
    }

    #[test]
    fn a_stream_decodes_and_encodes_back() {
        let events = [
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "It is "}]}, "index": 0}], "modelVersion": "g", "responseId": "r"}),
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "sunny."}, {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "s"}]}, "index": 0}]}),
            json!({"candidates": [{"content": {"role": "model", "parts": []}, "finishReason": "STOP", "index": 0}], "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4}}),
        ];
        let mut decoder = Decoder::default();
        let mut chunks = Vec::new();
        for (i, e) in events.iter().enumerate() {
            match decoder.event(e) {
                Decoded::Chunks(c) => chunks.extend(c),
                Decoded::Done(c) if i == 2 => chunks.extend(c),
                other => panic!("{other:?} at {i}"),
            }
        }
        let mut acc = ChunkAccumulator::default();
        chunks.iter().for_each(|c| acc.push(c));
        let done = acc.into_completion();
        assert_eq!(done["choices"][0]["message"]["content"], "It is sunny.");
        assert_eq!(done["choices"][0]["message"]["tool_calls"][0]["thought_signature"], "s");
        assert_eq!(done["choices"][0]["finish_reason"], "tool_calls");

        let mut encoder = Encoder::default();
        let mut out: Vec<Value> = chunks.iter().flat_map(|c| encoder.chunk(c)).collect();
        out.push(encoder.finish());
        let text: String = out.iter().flat_map(|r| r["candidates"][0]["content"]["parts"].as_array().cloned().unwrap_or_default()).filter_map(|p| p["text"].as_str().map(str::to_owned)).collect();
        assert_eq!(text, "It is sunny.");
        let last = out.last().unwrap();
        assert_eq!(last["candidates"][0]["content"]["parts"][0], json!({"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "s"}));
        assert_eq!((&last["candidates"][0]["finishReason"], &last["usageMetadata"]["candidatesTokenCount"]), (&json!("STOP"), &json!(4)));
    }

    #[test]
    fn a_blocked_prompt_is_a_content_filter_finish() {
        let blocked = json!({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 3}});
        assert_eq!(to_completion(&blocked)["choices"][0]["finish_reason"], "content_filter");
        assert!(matches!(Decoder::default().event(&blocked), Decoded::Done(_)));
    }
}
