//! Anthropic's streaming events ↔ internal `chat.completion.chunk`s, one event at a time.
//!
//! Anthropic numbers content blocks (thinking, text, tool_use, …) in one sequence; OpenAI has
//! one text, one reasoning text and numbered tool calls. The decoder maps block indices to tool
//! call indices; the encoder opens a new block whenever the kind of delta changes, so blocks
//! come out in the order their deltas arrived. Thinking travels as `reasoning_content` deltas,
//! its signature as `reasoning_signature`, a redacted block whole as `redacted_thinking`.
//! Usage is only known in full at the end of an OpenAI stream, so the encoder's `message_start`
//! counts zero tokens and its closing `message_delta` carries the real figures (as Anthropic's
//! own `message_delta.usage` may).

use super::message::{finish_to_stop_reason, stop_reason_to_finish, usage_from_internal, usage_to_internal, UNTRANSLATED};
use crate::wire::{sse_event as event, Decoded, Usage};
use bytes::BytesMut;
use serde_json::{json, Value};
use std::collections::HashMap;


enum Block {
    Content,
    Tool(usize),
    Untranslated,
}

/// Anthropic events → internal chunks.
#[derive(Default)]
pub struct Decoder {
    id: Value,
    model: Value,
    created: i64,
    blocks: HashMap<u64, Block>,
    tools: usize,
    usage: Value,
    untranslated: Vec<Value>,
}

impl Decoder {
    /// A chunk without `id`, `created` and `model`: only the first carries them (the edge fills
    /// them in for OpenAI clients), which keeps a translated event to a few small allocations.
    fn chunk(&self, delta: Value, finish: Value) -> Value {
        json!({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    }

    fn delta(&self, delta: Value) -> Decoded {
        Decoded::Chunks(vec![self.chunk(delta, Value::Null)])
    }

    /// `data` is the event's JSON, whose `type` names it (the `event:` line says the same).
    pub fn event(&mut self, data: &Value) -> Decoded {
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        match data.get("type").and_then(Value::as_str).unwrap_or("") {
            "message_start" => {
                let m = data.get("message").cloned().unwrap_or(Value::Null);
                self.id = m.get("id").cloned().unwrap_or(Value::Null);
                self.model = m.get("model").cloned().unwrap_or(Value::Null);
                self.created = crate::now_ms() / 1000;
                self.usage = m.get("usage").cloned().unwrap_or_else(|| json!({}));
                let mut first = self.chunk(json!({"role": "assistant", "content": ""}), Value::Null);
                first["id"] = self.id.clone();
                first["object"] = json!("chat.completion.chunk");
                first["created"] = json!(self.created);
                first["model"] = self.model.clone();
                Decoded::Chunks(vec![first])
            }
            "content_block_start" => {
                let block = data.get("content_block").cloned().unwrap_or(Value::Null);
                let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
                let (entry, delta) = match kind {
                    "text" => (Block::Content, nonempty(&block, "text").map(|t| json!({"content": t}))),
                    "thinking" => (Block::Content, nonempty(&block, "thinking").map(|t| json!({"reasoning_content": t}))),
                    "redacted_thinking" => (Block::Content, Some(json!({"redacted_thinking": block.get("data").cloned().unwrap_or(Value::Null)}))),
                    "tool_use" => {
                        let n = self.tools;
                        self.tools += 1;
                        let input = block.get("input").filter(|i| i.as_object().is_some_and(|o| !o.is_empty())).map(Value::to_string).unwrap_or_default();
                        let call = json!({"index": n, "id": block.get("id"), "type": "function", "function": {"name": block.get("name"), "arguments": input}});
                        (Block::Tool(n), Some(json!({"tool_calls": [call]})))
                    }
                    other => {
                        self.untranslated.push(json!(other));
                        (Block::Untranslated, None)
                    }
                };
                self.blocks.insert(index, entry);
                Decoded::Chunks(delta.map(|d| self.chunk(d, Value::Null)).into_iter().collect())
            }
            "content_block_delta" => {
                let d = data.get("delta").cloned().unwrap_or(Value::Null);
                let piece = |k: &str| d.get(k).cloned().unwrap_or(Value::Null);
                match (self.blocks.get(&index), d.get("type").and_then(Value::as_str).unwrap_or("")) {
                    (Some(Block::Untranslated), _) => Decoded::Chunks(Vec::new()),
                    (_, "text_delta") => self.delta(json!({"content": piece("text")})),
                    (_, "thinking_delta") => self.delta(json!({"reasoning_content": piece("thinking")})),
                    (_, "signature_delta") => self.delta(json!({"reasoning_signature": piece("signature")})),
                    (Some(Block::Tool(n)), "input_json_delta") => self.delta(json!({"tool_calls": [{"index": n, "function": {"arguments": piece("partial_json")}}]})),
                    (_, other) => {
                        self.untranslated.push(json!(other));
                        Decoded::Chunks(Vec::new())
                    }
                }
            }
            "message_delta" => {
                if let (Some(u), Some(into)) = (data.get("usage").and_then(Value::as_object), self.usage.as_object_mut()) {
                    into.extend(u.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())));
                }
                let reason = data.pointer("/delta/stop_reason").and_then(Value::as_str).unwrap_or("end_turn");
                let mut finish = self.chunk(json!({}), json!(stop_reason_to_finish(reason)));
                if let Some(s) = data.pointer("/delta/stop_sequence").filter(|s| s.is_string()) {
                    finish["choices"][0]["stop_sequence"] = s.clone();
                }
                if !self.untranslated.is_empty() {
                    finish["choices"][0][UNTRANSLATED] = Value::Array(std::mem::take(&mut self.untranslated));
                }
                let usage = json!({"choices": [], "usage": usage_to_internal(&self.usage).to_json()});
                Decoded::Chunks(vec![finish, usage])
            }
            "message_stop" => Decoded::Done(Vec::new()),
            "error" => {
                let e = data.get("error").cloned().unwrap_or(Value::Null);
                let kind = e.get("type").and_then(Value::as_str).unwrap_or("error");
                Decoded::Error(format!("{kind}: {}", e.get("message").and_then(Value::as_str).unwrap_or("no details")))
            }
            // ping, content_block_stop, and event types newer than this code.
            _ => Decoded::Chunks(Vec::new()),
        }
    }
}

fn nonempty(block: &Value, key: &str) -> Option<Value> {
    block.get(key).filter(|t| t.as_str().is_some_and(|s| !s.is_empty())).cloned()
}

#[derive(serde::Serialize)]
struct BlockDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u64,
    delta: Delta<'a>,
}

#[derive(serde::Serialize)]
#[serde(tag = "type")]
enum Delta<'a> {
    #[serde(rename = "text_delta")]
    Text { text: &'a str },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: &'a str },
    #[serde(rename = "signature_delta")]
    Signature { signature: &'a str },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: &'a str },
}

#[derive(PartialEq)]
enum Open {
    Text,
    Thinking,
    Tool(u64),
}

/// Internal chunks → Anthropic events, written as SSE.
#[derive(Default)]
pub struct Encoder {
    started: bool,
    open: Option<Open>,
    /// The index the next content block gets.
    next: u64,
    finish: Option<String>,
    stop_sequence: Value,
    usage: Usage,
}

impl Encoder {
    pub fn chunk(&mut self, chunk: &Value, out: &mut BytesMut) {
        if !self.started {
            self.started = true;
            let message = json!({"id": chunk.get("id"), "type": "message", "role": "assistant", "model": chunk.get("model"), "content": [],
                                 "stop_reason": null, "stop_sequence": null, "usage": usage_from_internal(Usage::default())});
            event(out, "message_start", &json!({"type": "message_start", "message": message}));
        }
        if let Some(u) = chunk.get("usage").and_then(Usage::from_json) {
            self.usage = u;
        }
        for choice in chunk.get("choices").and_then(Value::as_array).into_iter().flatten().filter(|c| c.get("index").and_then(Value::as_u64).unwrap_or(0) == 0) {
            let delta = choice.get("delta").unwrap_or(&Value::Null);
            if let Some(t) = delta.get("reasoning_content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                self.open_block(Open::Thinking, || json!({"type": "thinking", "thinking": "", "signature": ""}), out);
                self.delta(out, Delta::Thinking { thinking: t });
            }
            if let Some(s) = delta.get("reasoning_signature").and_then(Value::as_str) {
                self.open_block(Open::Thinking, || json!({"type": "thinking", "thinking": "", "signature": ""}), out);
                self.delta(out, Delta::Signature { signature: s });
                // The signature seals its block: more thinking is a new block.
                self.close(out);
            }
            if let Some(data) = delta.get("redacted_thinking") {
                self.close(out);
                self.open_block(Open::Thinking, || json!({"type": "redacted_thinking", "data": data}), out);
                self.close(out);
            }
            if let Some(t) = delta.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                self.open_block(Open::Text, || json!({"type": "text", "text": ""}), out);
                self.delta(out, Delta::Text { text: t });
            }
            for call in delta.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
                let n = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                if call.get("id").is_some_and(|id| !id.is_null()) && self.open == Some(Open::Tool(n)) {
                    self.close(out); // a new call that reuses the index
                }
                self.open_block(Open::Tool(n), || json!({"type": "tool_use", "id": call.get("id"), "name": call.pointer("/function/name"), "input": {}}), out);
                if let Some(args) = call.pointer("/function/arguments").and_then(Value::as_str).filter(|a| !a.is_empty()) {
                    self.delta(out, Delta::InputJson { partial_json: args });
                }
            }
            if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
                self.finish = Some(f.to_owned());
                if let Some(s) = choice.get("stop_sequence") {
                    self.stop_sequence = s.clone();
                }
            }
        }
    }

    /// After the last chunk of a complete answer: closes the open block and the message.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if !self.started {
            self.chunk(&json!({}), out);
        }
        self.close(out);
        let stop_reason = finish_to_stop_reason(self.finish.as_deref().unwrap_or("stop"));
        event(out, "message_delta", &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": self.stop_sequence}, "usage": usage_from_internal(self.usage)}));
        event(out, "message_stop", &json!({"type": "message_stop"}));
    }

    fn open_block(&mut self, kind: Open, block: impl FnOnce() -> Value, out: &mut BytesMut) {
        if self.open.as_ref() == Some(&kind) {
            return;
        }
        self.close(out);
        event(out, "content_block_start", &json!({"type": "content_block_start", "index": self.next, "content_block": block()}));
        self.open = Some(kind);
    }

    /// Deltas are most of a stream: written from borrowed text, with no JSON tree built.
    fn delta(&self, out: &mut BytesMut, delta: Delta<'_>) {
        event(out, "content_block_delta", &BlockDelta { kind: "content_block_delta", index: self.next, delta });
    }

    fn close(&mut self, out: &mut BytesMut) {
        if self.open.take().is_some() {
            event(out, "content_block_stop", &json!({"type": "content_block_stop", "index": self.next}));
            self.next += 1;
        }
    }
}

/// An `error` event, for a stream that breaks off after it started.
pub fn error_event(out: &mut BytesMut, kind: &str, message: &str) {
    event(out, "error", &json!({"type": "error", "error": {"type": kind, "message": message}}));
}
