//! Responses answers ↔ internal completions and chunks.
//!
//! Out (any target's answer for a Responses client): a `response` object whose `output` holds
//! a reasoning item (the reasoning text as its summary), a message and the calls, in that
//! order; streamed as `response.created`, then per item `response.output_item.added`, its
//! deltas, `response.output_item.done`, and `response.completed` with the usage. Calls to the
//! request's freeform tools become `custom_tool_call`s with the function's `input` argument.
//! In (OpenAI's own answer to a passed-through request): its events folded into internal
//! chunks, for the log, the price and the cache.

use crate::wire::{sse_event, Decoded, Usage};
use bytes::BytesMut;
use serde_json::{json, Value};
use std::collections::HashMap;

fn usage_out(u: Usage) -> Value {
    json!({"input_tokens": u.prompt, "input_tokens_details": {"cached_tokens": u.cached}, "output_tokens": u.completion,
           "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": u.prompt + u.completion})
}

fn usage_in(u: &Value) -> Usage {
    let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    Usage { prompt: n("/input_tokens"), completion: n("/output_tokens"), cached: n("/input_tokens_details/cached_tokens"), cache_write: 0 }
}

fn response_id(id: &Value) -> String {
    let id = id.as_str().unwrap_or("");
    if id.starts_with("resp_") { id.to_owned() } else { format!("resp_{id}") }
}

/// The `response` object around `output`.
fn envelope(id: &Value, model: &Value, status: &str, output: Vec<Value>, usage: Option<Usage>, finish: Option<&str>) -> Value {
    let mut r = json!({"id": response_id(id), "object": "response", "created_at": crate::now_ms() / 1000, "status": status, "model": model,
                       "output": output, "error": null, "incomplete_details": null, "parallel_tool_calls": true, "tool_choice": "auto", "tools": []});
    if let Some(u) = usage {
        r["usage"] = usage_out(u);
    }
    if finish == Some("length") {
        r["status"] = json!("incomplete");
        r["incomplete_details"] = json!({"reason": "max_output_tokens"});
    }
    r
}

fn call_item(call: &Value, n: usize, custom: &[String]) -> Value {
    let name = call.pointer("/function/name").and_then(Value::as_str).unwrap_or("");
    let args = call.pointer("/function/arguments").and_then(Value::as_str).unwrap_or("{}");
    let call_id = call.get("id").cloned().unwrap_or(Value::Null);
    if custom.iter().any(|c| c == name) {
        let input = serde_json::from_str::<Value>(args).ok().and_then(|v| v.get("input").and_then(Value::as_str).map(str::to_owned)).unwrap_or_else(|| args.to_owned());
        return json!({"type": "custom_tool_call", "id": format!("ctc_{n}"), "status": "completed", "call_id": call_id, "name": name, "input": input});
    }
    json!({"type": "function_call", "id": format!("fc_{n}"), "status": "completed", "call_id": call_id, "name": name, "arguments": args})
}

fn message_item(text: &str) -> Value {
    json!({"type": "message", "id": "msg_0", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

fn reasoning_item(text: &str) -> Value {
    json!({"type": "reasoning", "id": "rs_0", "summary": [{"type": "summary_text", "text": text}]})
}

pub fn from_completion(completion: &Value, custom: &[String]) -> Value {
    let choice = completion.pointer("/choices/0").cloned().unwrap_or(Value::Null);
    let message = &choice["message"];
    let mut output = Vec::new();
    if let Some(r) = message.get("reasoning_content").and_then(Value::as_str).filter(|r| !r.is_empty()) {
        output.push(reasoning_item(r));
    }
    if let Some(t) = message.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        output.push(message_item(t));
    }
    for (n, call) in message.get("tool_calls").and_then(Value::as_array).into_iter().flatten().enumerate() {
        output.push(call_item(call, n, custom));
    }
    let usage = completion.get("usage").and_then(Usage::from_json);
    envelope(&completion["id"], &completion["model"], "completed", output, usage, choice.get("finish_reason").and_then(Value::as_str))
}

/// A whole Responses answer (OpenAI's own) in the internal form.
pub fn to_completion(response: &Value) -> Value {
    let mut decoder = Decoder::default();
    let mut chunks = Vec::new();
    decoder.start(response);
    for item in response.get("output").and_then(Value::as_array).into_iter().flatten() {
        chunks.extend(decoder.item(item));
    }
    chunks.extend(decoder.end(response));
    let mut acc = crate::wire::ChunkAccumulator::default();
    chunks.iter().for_each(|c| acc.push(c));
    acc.into_completion()
}

#[derive(serde::Serialize)]
struct TextDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    sequence_number: u64,
    item_id: &'static str,
    output_index: usize,
    /// A message's part (`content_index`) or a reasoning summary's (`summary_index`): the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary_index: Option<usize>,
    delta: &'a str,
}

#[derive(PartialEq)]
enum Open {
    Message,
    Reasoning,
    Call(u64),
}

/// Internal chunks → Responses events, written as SSE.
pub struct Encoder {
    custom: Vec<String>,
    seq: u64,
    id: Value,
    model: Value,
    open: Option<Open>,
    text: String,
    call: Value,
    output: Vec<Value>,
    finish: Option<String>,
    usage: Option<Usage>,
}

impl Encoder {
    /// `custom`: the request's freeform tools.
    pub fn new(custom: Vec<String>) -> Encoder {
        Encoder { custom, seq: 0, id: Value::Null, model: Value::Null, open: None, text: String::new(), call: Value::Null, output: Vec::new(), finish: None, usage: None }
    }

    fn emit(&mut self, out: &mut BytesMut, kind: &str, mut data: Value) {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(self.seq);
        self.seq += 1;
        sse_event(out, kind, &data);
    }

    /// Text deltas are most of a stream: written from borrowed text, with no JSON tree built.
    fn emit_delta(&mut self, out: &mut BytesMut, kind: &'static str, item_id: &'static str, delta: &str) {
        let (content_index, summary_index) = if item_id == "rs_0" { (None, Some(0)) } else { (Some(0), None) };
        let event = TextDelta { kind, sequence_number: self.seq, item_id, output_index: self.output.len(), content_index, summary_index, delta };
        self.seq += 1;
        sse_event(out, kind, &event);
    }

    pub fn chunk(&mut self, chunk: &Value, out: &mut BytesMut) {
        if self.seq == 0 {
            self.id = chunk.get("id").cloned().unwrap_or(Value::Null);
            self.model = chunk.get("model").cloned().unwrap_or(Value::Null);
            let r = envelope(&self.id, &self.model, "in_progress", Vec::new(), None, None);
            self.emit(out, "response.created", json!({"response": r.clone()}));
            self.emit(out, "response.in_progress", json!({"response": r}));
        }
        if let Some(u) = chunk.get("usage").and_then(Usage::from_json) {
            self.usage = Some(u);
        }
        for choice in chunk.get("choices").and_then(Value::as_array).into_iter().flatten().filter(|c| c.get("index").and_then(Value::as_u64).unwrap_or(0) == 0) {
            let delta = &choice["delta"];
            if let Some(t) = delta.get("reasoning_content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                self.open_item(Open::Reasoning, out);
                self.text.push_str(t);
                self.emit_delta(out, "response.reasoning_summary_text.delta", "rs_0", t);
            }
            if let Some(t) = delta.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                self.open_item(Open::Message, out);
                self.text.push_str(t);
                self.emit_delta(out, "response.output_text.delta", "msg_0", t);
            }
            for call in delta.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
                let n = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                if call.get("id").is_some_and(|id| !id.is_null()) || self.open != Some(Open::Call(n)) {
                    self.close(out);
                    self.call = json!({"id": call.get("id"), "function": {"name": call.pointer("/function/name").cloned().unwrap_or(json!("")), "arguments": ""}});
                    self.open = Some(Open::Call(n));
                    let item = self.call_item();
                    self.emit(out, "response.output_item.added", json!({"output_index": self.output.len(), "item": item}));
                }
                if let Some(piece) = call.pointer("/function/arguments").and_then(Value::as_str).filter(|a| !a.is_empty()) {
                    let joined = format!("{}{piece}", self.call["function"]["arguments"].as_str().unwrap_or(""));
                    self.call["function"]["arguments"] = json!(joined);
                    if self.call_item()["type"] == "function_call" {
                        let data = json!({"item_id": format!("fc_{}", self.output.len()), "output_index": self.output.len(), "delta": piece});
                        self.emit(out, "response.function_call_arguments.delta", data);
                    }
                }
            }
            if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
                self.finish = Some(f.to_owned());
            }
        }
    }

    fn call_item(&self) -> Value {
        let mut item = call_item(&self.call, self.output.len(), &self.custom);
        item["status"] = json!("in_progress");
        item
    }

    fn open_item(&mut self, kind: Open, out: &mut BytesMut) {
        if self.open.as_ref() == Some(&kind) {
            return;
        }
        self.close(out);
        let index = self.output.len();
        match kind {
            Open::Message => {
                let item = json!({"type": "message", "id": "msg_0", "status": "in_progress", "role": "assistant", "content": []});
                self.emit(out, "response.output_item.added", json!({"output_index": index, "item": item}));
                let part = json!({"type": "output_text", "text": "", "annotations": []});
                self.emit(out, "response.content_part.added", json!({"item_id": "msg_0", "output_index": index, "content_index": 0, "part": part}));
            }
            Open::Reasoning => {
                self.emit(out, "response.output_item.added", json!({"output_index": index, "item": {"type": "reasoning", "id": "rs_0", "summary": []}}));
            }
            Open::Call(_) => unreachable!("calls open in `chunk`"),
        }
        self.open = Some(kind);
    }

    fn close(&mut self, out: &mut BytesMut) {
        let Some(open) = self.open.take() else { return };
        let index = self.output.len();
        let text = std::mem::take(&mut self.text);
        let item = match open {
            Open::Message => {
                self.emit(out, "response.output_text.done", json!({"item_id": "msg_0", "output_index": index, "content_index": 0, "text": text}));
                let part = json!({"type": "output_text", "text": text, "annotations": []});
                self.emit(out, "response.content_part.done", json!({"item_id": "msg_0", "output_index": index, "content_index": 0, "part": part}));
                message_item(&text)
            }
            Open::Reasoning => reasoning_item(&text),
            Open::Call(_) => {
                let item = call_item(&self.call, index, &self.custom);
                if item["type"] == "function_call" {
                    self.emit(out, "response.function_call_arguments.done", json!({"item_id": item["id"], "output_index": index, "arguments": item["arguments"]}));
                }
                item
            }
        };
        self.emit(out, "response.output_item.done", json!({"output_index": index, "item": item}));
        self.output.push(item);
    }

    /// After the last chunk of a complete answer.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.seq == 0 {
            self.chunk(&json!({}), out);
        }
        self.close(out);
        let r = envelope(&self.id, &self.model, "completed", std::mem::take(&mut self.output), self.usage, self.finish.as_deref());
        self.emit(out, "response.completed", json!({"response": r}));
    }

    /// The event that ends a stream the upstream broke off.
    pub fn failed(&mut self, message: &str, out: &mut BytesMut) {
        let mut r = envelope(&self.id, &self.model, "failed", Vec::new(), None, None);
        r["error"] = json!({"code": "server_error", "message": message});
        self.emit(out, "response.failed", json!({"response": r}));
    }
}

/// OpenAI's Responses events → internal chunks.
#[derive(Default)]
pub struct Decoder {
    id: Value,
    model: Value,
    /// Output item id → tool call index.
    calls: HashMap<String, usize>,
    called: bool,
}

impl Decoder {
    fn chunk(&self, delta: Value, finish: Value) -> Value {
        json!({"id": self.id, "object": "chat.completion.chunk", "created": crate::now_ms() / 1000, "model": self.model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    }

    fn start(&mut self, response: &Value) -> Value {
        self.id = response.get("id").cloned().unwrap_or(Value::Null);
        self.model = response.get("model").cloned().unwrap_or(Value::Null);
        self.chunk(json!({"role": "assistant", "content": ""}), Value::Null)
    }

    /// A whole output item: its text, reasoning or call as chunks.
    fn item(&mut self, item: &Value) -> Vec<Value> {
        match item.get("type").and_then(Value::as_str).unwrap_or("") {
            "message" => {
                let text: String = item["content"].as_array().into_iter().flatten().filter_map(|p| p.get("text").and_then(Value::as_str)).collect();
                vec![self.chunk(json!({"content": text}), Value::Null)]
            }
            "reasoning" => {
                let text: String = item["summary"].as_array().into_iter().flatten().filter_map(|p| p.get("text").and_then(Value::as_str)).collect();
                if text.is_empty() { Vec::new() } else { vec![self.chunk(json!({"reasoning_content": text}), Value::Null)] }
            }
            kind @ ("function_call" | "custom_tool_call") => {
                let n = self.calls.len();
                self.calls.insert(item["id"].as_str().unwrap_or("").to_owned(), n);
                self.called = true;
                let args = if kind == "function_call" { item["arguments"].as_str().unwrap_or("").to_owned() } else { json!({"input": item["input"]}).to_string() };
                vec![self.chunk(json!({"tool_calls": [{"index": n, "id": item["call_id"], "type": "function", "function": {"name": item["name"], "arguments": args}}]}), Value::Null)]
            }
            _ => Vec::new(),
        }
    }

    fn end(&mut self, response: &Value) -> Vec<Value> {
        let finish = match (response.get("status").and_then(Value::as_str), self.called) {
            (Some("incomplete"), _) => "length",
            (_, true) => "tool_calls",
            _ => "stop",
        };
        let mut usage = self.chunk(Value::Null, Value::Null);
        usage["choices"] = json!([]);
        usage["usage"] = usage_in(&response["usage"]).to_json();
        vec![self.chunk(json!({}), json!(finish)), usage]
    }

    pub fn event(&mut self, data: &Value) -> Decoded {
        match data.get("type").and_then(Value::as_str).unwrap_or("") {
            "response.created" => Decoded::Chunks(vec![self.start(&data["response"])]),
            "response.output_text.delta" => Decoded::Chunks(vec![self.chunk(json!({"content": data["delta"]}), Value::Null)]),
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => Decoded::Chunks(vec![self.chunk(json!({"reasoning_content": data["delta"]}), Value::Null)]),
            // A function call streams its arguments; a freeform call is read whole when done.
            "response.output_item.added" if data.pointer("/item/type").and_then(Value::as_str) == Some("function_call") => {
                let mut item = data["item"].clone();
                item["arguments"] = json!("");
                Decoded::Chunks(self.item(&item))
            }
            "response.function_call_arguments.delta" => match self.calls.get(data["item_id"].as_str().unwrap_or("")) {
                Some(&n) => Decoded::Chunks(vec![self.chunk(json!({"tool_calls": [{"index": n, "function": {"arguments": data["delta"]}}]}), Value::Null)]),
                None => Decoded::Chunks(Vec::new()),
            },
            "response.output_item.done" if data.pointer("/item/type").and_then(Value::as_str) == Some("custom_tool_call") => Decoded::Chunks(self.item(&data["item"])),
            "response.completed" | "response.incomplete" => Decoded::Done(self.end(&data["response"])),
            "response.failed" => Decoded::Error(data.pointer("/response/error/message").and_then(Value::as_str).unwrap_or("the response failed").to_owned()),
            "error" => Decoded::Error(data.get("message").and_then(Value::as_str).unwrap_or("error").to_owned()),
            _ => Decoded::Chunks(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{ChunkAccumulator, SseDecoder};
    use serde_json::Map;

    fn output_of(events: &[Value]) -> Option<&Map<String, Value>> {
        events.iter().rev().find(|e| e["type"] == "response.completed").and_then(|e| e["response"].as_object())
    }

    fn chunks() -> Vec<Value> {
        let c = |delta: Value, finish: Value| json!({"id": "c1", "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        vec![
            c(json!({"role": "assistant", "content": ""}), Value::Null),
            c(json!({"content": "Let me "}), Value::Null),
            c(json!({"content": "look."}), Value::Null),
            c(json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "exec_command", "arguments": "{\"cmd\""}}]}), Value::Null),
            c(json!({"tool_calls": [{"index": 0, "function": {"arguments": ":\"ls\"}"}}]}), Value::Null),
            c(json!({"tool_calls": [{"index": 1, "id": "call_2", "type": "function", "function": {"name": "apply_patch", "arguments": "{\"input\":\"*** Begin\"}"}}]}), Value::Null),
            c(json!({}), json!("tool_calls")),
            json!({"id": "c1", "model": "m", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4}}),
        ]
    }

    #[test]
    fn a_stream_goes_out_as_responses_events_and_comes_back() {
        let mut enc = Encoder::new(vec!["apply_patch".into()]);
        let mut sse = BytesMut::new();
        chunks().iter().for_each(|c| enc.chunk(c, &mut sse));
        enc.finish(&mut sse);
        let events: Vec<Value> = SseDecoder::default().push(&sse).iter().map(|e| serde_json::from_str(&e.data).unwrap()).collect();
        let seq: Vec<u64> = events.iter().map(|e| e["sequence_number"].as_u64().unwrap()).collect();
        assert_eq!(seq, (0..events.len() as u64).collect::<Vec<_>>());
        let done = output_of(&events).unwrap();
        assert_eq!(done["output"][0], message_item("Let me look."));
        assert_eq!(done["output"][1]["arguments"], "{\"cmd\":\"ls\"}");
        assert_eq!(done["output"][2]["type"], "custom_tool_call");
        assert_eq!(done["output"][2]["input"], "*** Begin");
        assert_eq!(done["usage"]["input_tokens"], 9);
        let text: String = events.iter().filter(|e| e["type"] == "response.output_text.delta").filter_map(|e| e["delta"].as_str()).collect();
        assert_eq!(text, "Let me look.");

        // OpenAI's own events for the same answer fold back into the same completion.
        let mut dec = Decoder::default();
        let mut back = Vec::new();
        for e in &events {
            match dec.event(e) {
                Decoded::Chunks(c) | Decoded::Done(c) => back.extend(c),
                Decoded::Error(e) => panic!("{e}"),
            }
        }
        let (mut a, mut b) = (ChunkAccumulator::default(), ChunkAccumulator::default());
        chunks().iter().for_each(|c| a.push(c));
        back.iter().for_each(|c| b.push(c));
        let (a, b) = (a.into_completion(), b.into_completion());
        assert_eq!(a["choices"], b["choices"]);
        assert_eq!(b["usage"]["prompt_tokens"], 9);
        let whole = from_completion(&a, &["apply_patch".into()]);
        assert_eq!(to_completion(&whole)["choices"], a["choices"]);
    }
}
