//! Unfolds a whole `chat.completion` into the chunks a streaming client expects, for cache
//! hits on answers that were stored from a non-streamed call.

use serde_json::{json, Value};

pub fn completion_to_chunks(completion: &Value, include_usage: bool) -> Vec<Value> {
    let head = |choices: Value| {
        json!({
            "id": completion.get("id").cloned().unwrap_or(Value::Null),
            "object": "chat.completion.chunk",
            "created": completion.get("created").cloned().unwrap_or(json!(0)),
            "model": completion.get("model").cloned().unwrap_or(Value::Null),
            "choices": choices,
        })
    };
    let mut chunks = Vec::new();
    for (i, choice) in completion.get("choices").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let index = choice.get("index").cloned().unwrap_or(json!(i));
        let message = choice.get("message").cloned().unwrap_or_else(|| json!({}));
        let mut delta = json!({ "role": message.get("role").cloned().unwrap_or(json!("assistant")) });
        for key in ["content", "refusal"] {
            if let Some(v) = message.get(key).filter(|v| !v.is_null()) {
                delta[key] = v.clone();
            }
        }
        if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
            let calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(n, c)| {
                    let mut c = c.clone();
                    c["index"] = json!(n);
                    c
                })
                .collect();
            delta["tool_calls"] = Value::Array(calls);
        }
        for thinking in thinking_deltas(&message) {
            chunks.push(head(json!([{ "index": index, "delta": thinking, "finish_reason": null }])));
        }
        chunks.push(head(json!([{ "index": index, "delta": delta, "finish_reason": null }])));
        let mut last = json!({ "index": index, "delta": {}, "finish_reason": choice.get("finish_reason").cloned().unwrap_or(Value::Null) });
        if let Some(s) = choice.get("stop_sequence") {
            last["stop_sequence"] = s.clone();
        }
        chunks.push(head(json!([last])));
    }
    if include_usage {
        if let Some(usage) = completion.get("usage") {
            let mut last = head(json!([]));
            last["usage"] = usage.clone();
            chunks.push(last);
        }
    }
    chunks
}

/// A message's thinking as the deltas that stream it (see `anthropic::stream`).
fn thinking_deltas(message: &Value) -> Vec<Value> {
    let Some(blocks) = message.get("thinking_blocks").and_then(Value::as_array) else {
        return message.get("reasoning_content").map(|r| json!({ "reasoning_content": r })).into_iter().collect();
    };
    let mut out = Vec::new();
    for b in blocks {
        if b["type"] == "redacted_thinking" {
            out.push(json!({ "redacted_thinking": b["data"] }));
            continue;
        }
        out.push(json!({ "reasoning_content": b["thinking"] }));
        if b["signature"].as_str().is_some_and(|s| !s.is_empty()) {
            out.push(json!({ "reasoning_signature": b["signature"] }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ChunkAccumulator;

    #[test]
    fn unfold_then_fold_is_identity_on_the_message() {
        let completion = json!({
            "id": "x", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi",
                "tool_calls": [{"id": "t", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                "reasoning_content": "ab",
                "thinking_blocks": [{"type": "thinking", "thinking": "a", "signature": "s1"}, {"type": "redacted_thinking", "data": "r"},
                                    {"type": "thinking", "thinking": "b", "signature": "s2"}]},
                "finish_reason": "stop", "stop_sequence": "END"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        });
        let mut acc = ChunkAccumulator::default();
        completion_to_chunks(&completion, true).iter().for_each(|c| acc.push(c));
        let back = acc.into_completion();
        assert_eq!(back["choices"], completion["choices"]);
        assert_eq!(back["usage"], completion["usage"]);
    }
}
