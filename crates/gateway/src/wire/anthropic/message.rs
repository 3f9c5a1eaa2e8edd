//! A whole Anthropic `message` ↔ a whole internal `chat.completion`.
//!
//! The internal form keeps what OpenAI's has no field for in extensions, so an answer read from
//! Anthropic can be given back to an Anthropic client unchanged: thinking blocks (with their
//! signatures, byte for byte) in `thinking_blocks` beside the joined `reasoning_content`, the
//! matched stop sequence in the choice's `stop_sequence`, cache writes in `usage`. Blocks it
//! cannot hold at all (server tools' results, say) are named in the choice's
//! `sluice_untranslated`, and such an answer is never cached.

use crate::wire::Usage;
use serde_json::{json, Map, Value};

/// Names the blocks of an answer that the internal form could not hold.
pub const UNTRANSLATED: &str = "sluice_untranslated";

pub fn stop_reason_to_finish(reason: &str) -> &str {
    match reason {
        "end_turn" | "stop_sequence" => "stop",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        // pause_turn and anything newer: not a finish Sluice may cache.
        other => other,
    }
}

pub fn finish_to_stop_reason(finish: &str) -> &str {
    match finish {
        "stop" => "end_turn",
        "length" => "max_tokens",
        "tool_calls" | "function_call" => "tool_use",
        "content_filter" => "refusal",
        other => other,
    }
}

/// Anthropic's `usage` in the internal form (whose prompt count includes cache reads and writes).
pub fn usage_to_internal(u: &Value) -> Usage {
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    let (cached, cache_write) = (n("cache_read_input_tokens"), n("cache_creation_input_tokens"));
    Usage { prompt: n("input_tokens") + cached + cache_write, completion: n("output_tokens"), cached, cache_write }
}

pub fn usage_from_internal(u: Usage) -> Value {
    json!({
        "input_tokens": u.prompt.saturating_sub(u.cached + u.cache_write),
        "output_tokens": u.completion,
        "cache_creation_input_tokens": u.cache_write,
        "cache_read_input_tokens": u.cached,
    })
}

pub fn to_completion(message: &Value) -> Value {
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut thinking_blocks = Vec::new();
    let mut calls = Vec::new();
    let mut untranslated = Vec::new();
    for block in message.get("content").and_then(Value::as_array).into_iter().flatten() {
        match block.get("type").and_then(Value::as_str).unwrap_or("") {
            "text" => text.get_or_insert_with(String::new).push_str(block.get("text").and_then(Value::as_str).unwrap_or("")),
            "thinking" => {
                reasoning.get_or_insert_with(String::new).push_str(block.get("thinking").and_then(Value::as_str).unwrap_or(""));
                thinking_blocks.push(block.clone());
            }
            "redacted_thinking" => thinking_blocks.push(block.clone()),
            "tool_use" => calls.push(json!({
                "id": block.get("id").cloned().unwrap_or(Value::Null),
                "type": "function",
                "function": {"name": block.get("name").cloned().unwrap_or(Value::Null), "arguments": block.get("input").cloned().unwrap_or_else(|| json!({})).to_string()},
            })),
            other => untranslated.push(json!(other)),
        }
    }
    let mut msg = Map::new();
    msg.insert("role".into(), json!("assistant"));
    msg.insert("content".into(), text.map(Value::String).unwrap_or(Value::Null));
    if !calls.is_empty() {
        msg.insert("tool_calls".into(), Value::Array(calls));
    }
    if let Some(r) = reasoning {
        msg.insert("reasoning_content".into(), json!(r));
    }
    if !thinking_blocks.is_empty() {
        msg.insert("thinking_blocks".into(), Value::Array(thinking_blocks));
    }
    let stop_reason = message.get("stop_reason").and_then(Value::as_str).unwrap_or("end_turn");
    let mut choice = json!({"index": 0, "message": msg, "finish_reason": stop_reason_to_finish(stop_reason)});
    if let Some(s) = message.get("stop_sequence").filter(|s| s.is_string()) {
        choice["stop_sequence"] = s.clone();
    }
    if !untranslated.is_empty() {
        choice[UNTRANSLATED] = Value::Array(untranslated);
    }
    let usage = message.get("usage").map(usage_to_internal).unwrap_or_default();
    json!({
        "id": message.get("id").cloned().unwrap_or(Value::Null),
        "object": "chat.completion",
        "created": crate::now_ms() / 1000,
        "model": message.get("model").cloned().unwrap_or(Value::Null),
        "choices": [choice],
        "usage": usage.to_json(),
    })
}

pub fn from_completion(completion: &Value) -> Value {
    let choice = completion.pointer("/choices/0").cloned().unwrap_or(Value::Null);
    let message = choice.get("message").cloned().unwrap_or(Value::Null);
    let mut content: Vec<Value> = message.get("thinking_blocks").and_then(Value::as_array).cloned().unwrap_or_default();
    if content.is_empty() {
        if let Some(r) = message.get("reasoning_content").and_then(Value::as_str).filter(|r| !r.is_empty()) {
            content.push(json!({"type": "thinking", "thinking": r, "signature": ""}));
        }
    }
    if let Some(t) = message.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        content.push(json!({"type": "text", "text": t}));
    }
    for call in message.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
        let args = call.pointer("/function/arguments").and_then(Value::as_str).unwrap_or("{}");
        let input: Value = serde_json::from_str(args).unwrap_or_else(|_| json!({}));
        content.push(json!({"type": "tool_use", "id": call.get("id").cloned().unwrap_or(Value::Null), "name": call.pointer("/function/name").cloned().unwrap_or(Value::Null), "input": input}));
    }
    let finish = choice.get("finish_reason").and_then(Value::as_str).unwrap_or("stop");
    let usage = completion.get("usage").and_then(Usage::from_json).unwrap_or_default();
    json!({
        "id": completion.get("id").cloned().unwrap_or(Value::Null),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model").cloned().unwrap_or(Value::Null),
        "content": content,
        "stop_reason": finish_to_stop_reason(finish),
        "stop_sequence": choice.get("stop_sequence").cloned().unwrap_or(Value::Null),
        "usage": usage_from_internal(usage),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::CACHE_WRITE_FIELD;

    #[test]
    fn a_message_survives_the_internal_form() {
        let message = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [
                {"type": "thinking", "thinking": "Let me see.", "signature": "EqQBCkYIBxgCKkB+/=="},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Sunny."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 20, "cache_read_input_tokens": 30}
        });
        let completion = to_completion(&message);
        assert_eq!(completion["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(completion["usage"]["prompt_tokens"], 60);
        assert_eq!(completion["usage"]["prompt_tokens_details"][CACHE_WRITE_FIELD], 20);
        assert_eq!(Usage::from_json(&completion["usage"]).unwrap(), Usage { prompt: 60, completion: 5, cached: 30, cache_write: 20 });
        let back = from_completion(&completion);
        assert_eq!(back, message);
    }

    #[test]
    fn untranslatable_blocks_are_named() {
        let message = json!({"content": [{"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}], "stop_reason": "end_turn"});
        assert_eq!(to_completion(&message)["choices"][0][UNTRANSLATED], json!(["server_tool_use"]));
    }
}
