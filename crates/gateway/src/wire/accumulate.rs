//! Folds a stream of `chat.completion.chunk`s into the `chat.completion` it amounts to, so a
//! streamed answer can be logged, priced and cached like a whole one. The internal form's
//! extensions fold too: thinking (`reasoning_content`, `reasoning_signature`,
//! `redacted_thinking` deltas) into `reasoning_content` and `thinking_blocks`, and the choice's
//! `stop_sequence` and `sluice_untranslated` (see `anthropic::message`).
//!
//! Choices and tool calls are kept by the `index` the upstream gave them, sparsely: a lone call
//! at index 479 is one call, not 479 empty ones before it (which the fuzzer found costing 1 MiB
//! in the Gemini encoder for a 135-byte event, and which clients would read as broken calls).

use super::Usage;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct ChunkAccumulator {
    id: Option<Value>,
    created: Option<Value>,
    model: Option<Value>,
    system_fingerprint: Option<Value>,
    choices: BTreeMap<usize, ChoiceAcc>,
    usage: Option<Value>,
}

#[derive(Default)]
struct ChoiceAcc {
    role: Option<Value>,
    content: Option<String>,
    refusal: Option<String>,
    tool_calls: BTreeMap<usize, Map<String, Value>>,
    finish_reason: Option<Value>,
    reasoning: Option<String>,
    thinking_blocks: Vec<Value>,
    /// Choice-level extensions, copied as they come.
    extensions: Map<String, Value>,
}

/// Choice fields beyond OpenAI's that an answer keeps.
const CHOICE_EXTENSIONS: &[&str] = &["stop_sequence", super::anthropic::message::UNTRANSLATED];

impl ChoiceAcc {
    fn thinking(&mut self, delta: &Value) {
        if let Some(piece) = delta.get("reasoning_content").and_then(Value::as_str) {
            self.reasoning.get_or_insert_with(String::new).push_str(piece);
            match self.open_thinking() {
                Some(block) => {
                    let joined = format!("{}{piece}", block["thinking"].as_str().unwrap_or(""));
                    block["thinking"] = Value::String(joined);
                }
                None => self.thinking_blocks.push(json!({"type": "thinking", "thinking": piece, "signature": ""})),
            }
        }
        if let Some(sig) = delta.get("reasoning_signature").and_then(Value::as_str) {
            match self.open_thinking() {
                Some(block) => block["signature"] = Value::String(sig.to_owned()),
                None => self.thinking_blocks.push(json!({"type": "thinking", "thinking": "", "signature": sig})),
            }
        }
        if let Some(data) = delta.get("redacted_thinking") {
            self.thinking_blocks.push(json!({"type": "redacted_thinking", "data": data}));
        }
    }

    /// The last thinking block while its signature has not sealed it.
    fn open_thinking(&mut self) -> Option<&mut Value> {
        self.thinking_blocks.last_mut().filter(|b| b["type"] == "thinking" && b["signature"] == "")
    }
}

impl ChunkAccumulator {
    pub fn push(&mut self, chunk: &Value) {
        for (slot, key) in [(&mut self.id, "id"), (&mut self.created, "created"), (&mut self.model, "model"), (&mut self.system_fingerprint, "system_fingerprint")] {
            if slot.is_none() {
                *slot = chunk.get(key).filter(|v| !v.is_null()).cloned();
            }
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(usage.clone());
        }
        for choice in chunk.get("choices").and_then(Value::as_array).into_iter().flatten() {
            let Some(index) = super::slot(choice.get("index").and_then(Value::as_u64).unwrap_or(0)) else { continue };
            let acc = self.choices.entry(index).or_default();
            if let Some(reason) = choice.get("finish_reason").filter(|v| !v.is_null()) {
                acc.finish_reason = Some(reason.clone());
            }
            for key in CHOICE_EXTENSIONS {
                if let Some(v) = choice.get(*key).filter(|v| !v.is_null()) {
                    acc.extensions.insert((*key).into(), v.clone());
                }
            }
            let Some(delta) = choice.get("delta") else { continue };
            if let Some(role) = delta.get("role").filter(|v| !v.is_null()) {
                acc.role = Some(role.clone());
            }
            if let Some(text) = delta.get("content").and_then(Value::as_str) {
                acc.content.get_or_insert_with(String::new).push_str(text);
            }
            if let Some(text) = delta.get("refusal").and_then(Value::as_str) {
                acc.refusal.get_or_insert_with(String::new).push_str(text);
            }
            for call in delta.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
                merge_tool_call(&mut acc.tool_calls, call);
            }
            acc.thinking(delta);
        }
    }

    pub fn usage(&self) -> Option<Usage> {
        self.usage.as_ref().and_then(Usage::from_json)
    }

    /// The text the model produced, for token estimates when the upstream sent no usage.
    pub fn output_text(&self) -> String {
        let mut text = String::new();
        for c in self.choices.values() {
            text.push_str(c.content.as_deref().unwrap_or(""));
            for call in c.tool_calls.values() {
                if let Some(args) = call.get("function").and_then(|f| f.get("arguments")).and_then(Value::as_str) {
                    text.push_str(args);
                }
            }
        }
        text
    }

    pub fn into_completion(self) -> Value {
        let choices: Vec<Value> = self
            .choices
            .into_iter()
            .map(|(index, c)| {
                let mut message = Map::new();
                message.insert("role".into(), c.role.unwrap_or_else(|| json!("assistant")));
                message.insert("content".into(), c.content.map(Value::String).unwrap_or(Value::Null));
                if let Some(refusal) = c.refusal {
                    message.insert("refusal".into(), Value::String(refusal));
                }
                if !c.tool_calls.is_empty() {
                    message.insert("tool_calls".into(), Value::Array(c.tool_calls.into_values().map(Value::Object).collect()));
                }
                if let Some(r) = c.reasoning {
                    message.insert("reasoning_content".into(), Value::String(r));
                }
                if !c.thinking_blocks.is_empty() {
                    message.insert("thinking_blocks".into(), Value::Array(c.thinking_blocks));
                }
                let mut choice = json!({ "index": index, "message": message, "finish_reason": c.finish_reason.unwrap_or(Value::Null) });
                choice.as_object_mut().expect("an object").extend(c.extensions);
                choice
            })
            .collect();
        let mut out = Map::new();
        out.insert("id".into(), self.id.unwrap_or_else(|| json!("")));
        out.insert("object".into(), json!("chat.completion"));
        out.insert("created".into(), self.created.unwrap_or_else(|| json!(0)));
        out.insert("model".into(), self.model.unwrap_or_else(|| json!("")));
        if let Some(fp) = self.system_fingerprint {
            out.insert("system_fingerprint".into(), fp);
        }
        out.insert("choices".into(), Value::Array(choices));
        if let Some(usage) = self.usage {
            out.insert("usage".into(), usage);
        }
        Value::Object(out)
    }
}

/// Tool calls arrive in pieces keyed by `index`: the first carries id and name, the rest
/// append to `function.arguments`.
fn merge_tool_call(calls: &mut BTreeMap<usize, Map<String, Value>>, delta: &Value) {
    // A piece without an index is a call of its own, after the others.
    let next = calls.last_key_value().map_or(0, |(last, _)| last + 1);
    let Some(index) = super::slot(delta.get("index").and_then(Value::as_u64).unwrap_or(next as u64)) else { return };
    let call = calls.entry(index).or_default();
    for key in ["id", "type", "thought_signature"] {
        if let Some(v) = delta.get(key).filter(|v| !v.is_null()) {
            call.insert(key.into(), v.clone());
        }
    }
    let Some(f) = delta.get("function") else { return };
    let function = call.entry("function").or_insert_with(|| json!({"name": "", "arguments": ""}));
    for key in ["name", "arguments"] {
        if let Some(piece) = f.get(key).and_then(Value::as_str) {
            let slot = &mut function[key];
            let joined = format!("{}{piece}", slot.as_str().unwrap_or(""));
            *slot = Value::String(joined);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstreams_huge_index_is_left_out_not_allocated() {
        // Found by fuzz.rs: this chunk made Sluice ask for 8 EB and abort.
        let mut acc = ChunkAccumulator::default();
        acc.push(&json!({"choices": [{"index": 8019234099747291120u64, "delta": {"content": "x"}}]}));
        acc.push(&json!({"choices": [{"index": 0, "delta": {"content": "ok", "tool_calls": [{"index": 9007199254740993u64, "function": {"name": "f"}}]}}]}));
        let c = acc.into_completion();
        assert_eq!(c["choices"].as_array().unwrap().len(), 1);
        assert_eq!(c["choices"][0]["message"]["content"], "ok");
        assert!(c["choices"][0]["message"].get("tool_calls").is_none());
    }

    #[test]
    fn a_lone_high_index_is_one_call_not_a_run_of_empty_ones() {
        // Found by the fuzzer's heap bound: the gaps before index 479 were filled in.
        let mut acc = ChunkAccumulator::default();
        acc.push(&json!({"choices": [{"index": 2, "delta": {"tool_calls": [{"index": 479, "id": "t", "function": {"name": "f", "arguments": "{}"}}]}}]}));
        let c = acc.into_completion();
        assert_eq!(c["choices"].as_array().unwrap().len(), 1);
        assert_eq!(c["choices"][0]["index"], 2);
        assert_eq!(c["choices"][0]["message"]["tool_calls"], json!([{"id": "t", "function": {"name": "f", "arguments": "{}"}}]));
    }

    #[test]
    fn folds_content_tool_calls_and_usage() {
        let chunks = [
            json!({"id":"c1","created":5,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}),
            json!({"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}),
            json!({"id":"c1","choices":[{"index":0,"delta":{"content":"lo"}}]}),
            json!({"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"get","arguments":"{\"a\""}}]}}]}),
            json!({"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}),
            json!({"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}),
            json!({"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}),
        ];
        let mut acc = ChunkAccumulator::default();
        chunks.iter().for_each(|c| acc.push(c));
        assert_eq!(acc.usage(), Some(Usage { prompt: 3, completion: 2, ..Usage::default() }));
        let done = acc.into_completion();
        assert_eq!(done["choices"][0]["message"]["content"], "Hello");
        assert_eq!(done["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], "{\"a\":1}");
        assert_eq!(done["choices"][0]["message"]["tool_calls"][0]["id"], "t1");
        assert_eq!(done["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(done["object"], "chat.completion");
    }
}
