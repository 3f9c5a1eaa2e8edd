//! Property tests across formats: any well-formed answer, streamed by an upstream in its own API
//! (Anthropic events, Gemini responses), decoded into internal chunks, reads the same to every
//! kind of client: an OpenAI client (the folded completion), an Anthropic client (a well-formed
//! event stream with the same blocks, thinking signatures included), a Gemini client and a
//! Responses client — text, thinking text, tool names, ids and arguments.

use crate::wire::anthropic::stream::{Decoder, Encoder};
use crate::wire::{gemini, responses, Decoded};
use crate::wire::{ChunkAccumulator, SseDecoder};
use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
enum Block {
    Text(String),
    Thinking(String, String),
    Tool { id: String, name: String, args: String },
}

/// A block and the pieces its text arrives in.
fn block() -> impl Strategy<Value = (Block, Vec<usize>)> {
    let text = "[a-zA-Z0-9 .,é😀\"\\\\\n]{1,40}";
    prop_oneof![
        text.prop_map(Block::Text),
        (text, "[A-Za-z0-9+/=]{8,40}").prop_map(|(t, s)| Block::Thinking(t, s)),
        ("[a-z]{3,8}", "[a-z_]{1,10}", text).prop_map(|(id, name, v)| Block::Tool { id: format!("toolu_{id}"), name, args: json!({"q": v, "n": 1}).to_string() }),
    ]
    .prop_flat_map(|b| (Just(b), prop::collection::vec(1usize..12, 0..6)))
}

/// Splits on char boundaries at the given strides.
fn pieces(s: &str, cuts: &[usize]) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for &c in cuts {
        if at + c >= chars.len() {
            break;
        }
        out.push(chars[at..at + c].iter().collect());
        at += c;
    }
    out.push(chars[at..].iter().collect());
    out
}

fn anthropic_events(blocks: &[(Block, Vec<usize>)]) -> Vec<Value> {
    let mut ev = vec![json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": [], "usage": {"input_tokens": 7, "output_tokens": 1}}})];
    for (i, (b, cuts)) in blocks.iter().enumerate() {
        let (start, deltas): (Value, Vec<Value>) = match b {
            Block::Text(t) => (json!({"type": "text", "text": ""}), pieces(t, cuts).into_iter().map(|p| json!({"type": "text_delta", "text": p})).collect()),
            Block::Thinking(t, sig) => {
                let mut d: Vec<Value> = pieces(t, cuts).into_iter().map(|p| json!({"type": "thinking_delta", "thinking": p})).collect();
                d.push(json!({"type": "signature_delta", "signature": sig}));
                (json!({"type": "thinking", "thinking": "", "signature": ""}), d)
            }
            Block::Tool { id, name, args } => (json!({"type": "tool_use", "id": id, "name": name, "input": {}}), pieces(args, cuts).into_iter().map(|p| json!({"type": "input_json_delta", "partial_json": p})).collect()),
        };
        ev.push(json!({"type": "content_block_start", "index": i, "content_block": start}));
        ev.push(json!({"type": "ping"}));
        ev.extend(deltas.into_iter().map(|d| json!({"type": "content_block_delta", "index": i, "delta": d})));
        ev.push(json!({"type": "content_block_stop", "index": i}));
    }
    let tool = blocks.iter().any(|(b, _)| matches!(b, Block::Tool { .. }));
    ev.push(json!({"type": "message_delta", "delta": {"stop_reason": if tool { "tool_use" } else { "end_turn" }, "stop_sequence": null}, "usage": {"output_tokens": 42}}));
    ev.push(json!({"type": "message_stop"}));
    ev
}

/// Reads an Anthropic SSE stream back into blocks, checking its grammar on the way.
fn parse_anthropic(sse: &[u8]) -> (Vec<Block>, Value) {
    let events = SseDecoder::default().push(sse);
    let mut blocks = Vec::new();
    let mut open: Option<(u64, Block)> = None;
    let mut next = 0;
    let mut stop = Value::Null;
    assert_eq!(events.first().and_then(|e| e.event.as_deref()), Some("message_start"));
    assert_eq!(events.last().and_then(|e| e.event.as_deref()), Some("message_stop"));
    for e in &events[1..events.len() - 1] {
        let data: Value = serde_json::from_str(&e.data).unwrap();
        assert_eq!(e.event.as_deref(), data["type"].as_str(), "event line and type agree");
        match data["type"].as_str().unwrap() {
            "content_block_start" => {
                assert!(open.is_none(), "a block starts while another is open");
                assert_eq!(data["index"], next, "block indices count up from 0");
                let b = &data["content_block"];
                open = Some((next, match b["type"].as_str().unwrap() {
                    "text" => Block::Text(String::new()),
                    "thinking" => Block::Thinking(String::new(), String::new()),
                    "tool_use" => Block::Tool { id: b["id"].as_str().unwrap().into(), name: b["name"].as_str().unwrap().into(), args: String::new() },
                    other => panic!("unexpected block {other}"),
                }));
            }
            "content_block_delta" => {
                let (i, b) = open.as_mut().expect("a delta outside a block");
                assert_eq!(data["index"], *i);
                let d = &data["delta"];
                match (b, d["type"].as_str().unwrap()) {
                    (Block::Text(t), "text_delta") => t.push_str(d["text"].as_str().unwrap()),
                    (Block::Thinking(t, _), "thinking_delta") => t.push_str(d["thinking"].as_str().unwrap()),
                    (Block::Thinking(_, s), "signature_delta") => s.push_str(d["signature"].as_str().unwrap()),
                    (Block::Tool { args, .. }, "input_json_delta") => args.push_str(d["partial_json"].as_str().unwrap()),
                    (b, t) => panic!("{t} in {b:?}"),
                }
            }
            "content_block_stop" => {
                let (i, b) = open.take().expect("a stop outside a block");
                assert_eq!(data["index"], i);
                blocks.push(b);
                next += 1;
            }
            "message_delta" => {
                assert!(open.is_none(), "the message ends while a block is open");
                stop = data["delta"]["stop_reason"].clone();
                assert_eq!(data["usage"]["output_tokens"], 42);
            }
            other => panic!("unexpected event {other}"),
        }
    }
    (blocks, stop)
}

/// Adjacent text blocks read as one (the internal form has one text).
fn merged(blocks: impl IntoIterator<Item = Block>) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for b in blocks {
        match (out.last_mut(), b) {
            (Some(Block::Text(a)), Block::Text(b)) => a.push_str(&b),
            (_, b) => out.push(b),
        }
    }
    out
}

/// The same answer as a Gemini stream: a response per piece, calls whole, thoughts as thought
/// parts (Gemini signs calls, not thoughts), the finish and usage last.
fn gemini_responses(blocks: &[(Block, Vec<usize>)]) -> Vec<Value> {
    let wrap = |parts: Value| json!({"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0}], "modelVersion": "gemini", "responseId": "r1"});
    let mut out = Vec::new();
    for (b, cuts) in blocks {
        match b {
            Block::Text(t) => out.extend(pieces(t, cuts).into_iter().map(|p| wrap(json!([{"text": p}])))),
            Block::Thinking(t, _) => out.extend(pieces(t, cuts).into_iter().map(|p| wrap(json!([{"text": p, "thought": true}])))),
            Block::Tool { id, name, args } => {
                let args: Value = serde_json::from_str(args).unwrap();
                out.push(wrap(json!([{"functionCall": {"id": id, "name": name, "args": args}, "thoughtSignature": "c2ln"}])));
            }
        }
    }
    let mut last = wrap(json!([]));
    last["candidates"][0]["finishReason"] = json!("STOP");
    last["usageMetadata"] = json!({"promptTokenCount": 7, "candidatesTokenCount": 42});
    out.push(last);
    out
}

fn decode_all(events: &[Value], mut decode: impl FnMut(&Value) -> Decoded) -> Vec<Value> {
    let mut chunks = Vec::new();
    for (n, e) in events.iter().enumerate() {
        match decode(e) {
            Decoded::Chunks(c) => chunks.extend(c),
            Decoded::Done(c) => {
                assert_eq!(n, events.len() - 1, "done before the end");
                chunks.extend(c);
            }
            Decoded::Error(e) => panic!("{e}"),
        }
    }
    chunks
}

fn texts<'a>(blocks: impl IntoIterator<Item = &'a Block>) -> (String, String) {
    let (mut text, mut thinking) = (String::new(), String::new());
    for b in blocks {
        match b {
            Block::Text(t) => text.push_str(t),
            Block::Thinking(t, _) => thinking.push_str(t),
            Block::Tool { .. } => {}
        }
    }
    (text, thinking)
}

fn tools(blocks: &[Block]) -> Vec<(String, String, Value)> {
    blocks.iter().filter_map(|b| match b {
        Block::Tool { id, name, args } => Some((id.clone(), name.clone(), serde_json::from_str(args).unwrap())),
        _ => None,
    }).collect()
}

/// What a Gemini client reads: text, thought text, calls (Gemini calls carry no id).
fn read_gemini(chunks: &[Value]) -> (String, String, Vec<(String, Value)>) {
    let mut encoder = gemini::response::Encoder::default();
    let mut responses: Vec<Value> = chunks.iter().flat_map(|c| encoder.chunk(c)).collect();
    responses.push(encoder.finish());
    let (mut text, mut thought, mut calls) = (String::new(), String::new(), Vec::new());
    for p in responses.iter().flat_map(|r| r["candidates"][0]["content"]["parts"].as_array().cloned().unwrap_or_default()) {
        match (p.get("functionCall"), p.get("thought")) {
            (Some(c), _) => calls.push((c["name"].as_str().unwrap().to_owned(), c["args"].clone())),
            (None, Some(_)) => thought.push_str(p["text"].as_str().unwrap()),
            (None, None) => text.push_str(p["text"].as_str().unwrap()),
        }
    }
    assert_eq!(responses.last().unwrap()["candidates"][0]["finishReason"], "STOP");
    (text, thought, calls)
}

/// What a Responses client reads from `response.completed`, checking the deltas add up to it.
fn read_responses(chunks: &[Value]) -> (String, String, Vec<(String, String, Value)>) {
    let mut encoder = responses::response::Encoder::new(Vec::new());
    let mut sse = BytesMut::new();
    chunks.iter().for_each(|c| encoder.chunk(c, &mut sse));
    encoder.finish(&mut sse);
    let events: Vec<Value> = SseDecoder::default().push(&sse).iter().map(|e| serde_json::from_str(&e.data).unwrap()).collect();
    let seq: Vec<u64> = events.iter().map(|e| e["sequence_number"].as_u64().unwrap()).collect();
    assert_eq!(seq, (0..events.len() as u64).collect::<Vec<_>>(), "sequence numbers count up");
    let done = &events.last().unwrap()["response"];
    assert_eq!(events.last().unwrap()["type"], "response.completed");
    let (mut text, mut thinking, mut calls) = (String::new(), String::new(), Vec::new());
    for item in done["output"].as_array().unwrap() {
        match item["type"].as_str().unwrap() {
            "message" => text.push_str(item["content"][0]["text"].as_str().unwrap()),
            "reasoning" => thinking.push_str(item["summary"][0]["text"].as_str().unwrap()),
            "function_call" => calls.push((item["call_id"].as_str().unwrap().to_owned(), item["name"].as_str().unwrap().to_owned(), serde_json::from_str(item["arguments"].as_str().unwrap()).unwrap())),
            other => panic!("unexpected item {other}"),
        }
    }
    let deltas: String = events.iter().filter(|e| e["type"] == "response.output_text.delta").map(|e| e["delta"].as_str().unwrap()).collect();
    assert_eq!(deltas, text);
    (text, thinking, calls)
}

fn same_to_gemini_and_responses_clients(chunks: &[Value], text: &str, thinking: &str, calls: &[(String, String, Value)]) -> Result<(), TestCaseError> {
    let (g_text, g_thought, g_calls) = read_gemini(chunks);
    prop_assert_eq!((g_text.as_str(), g_thought.as_str()), (text, thinking));
    prop_assert_eq!(g_calls, calls.iter().map(|(_, n, a)| (n.clone(), a.clone())).collect::<Vec<_>>());
    let (r_text, r_thinking, r_calls) = read_responses(chunks);
    prop_assert_eq!((r_text.as_str(), r_thinking.as_str()), (text, thinking));
    prop_assert_eq!(r_calls.as_slice(), calls);
    Ok(())
}

proptest! {
    #[test]
    fn gemini_streams_read_the_same_to_every_client(blocks in prop::collection::vec(block(), 0..6)) {
        let mut decoder = gemini::response::Decoder::default();
        let chunks = decode_all(&gemini_responses(&blocks), |e| decoder.event(e));
        let plain: Vec<Block> = blocks.iter().map(|(b, _)| b.clone()).collect();
        let (text, thinking) = texts(&plain);
        let calls = tools(&plain);

        let mut acc = ChunkAccumulator::default();
        chunks.iter().for_each(|c| acc.push(c));
        let completion = acc.into_completion();
        let msg = &completion["choices"][0]["message"];
        prop_assert_eq!(msg["content"].as_str().unwrap_or(""), text.as_str());
        prop_assert_eq!(msg["reasoning_content"].as_str().unwrap_or(""), thinking.as_str());
        for (k, (id, name, args)) in calls.iter().enumerate() {
            prop_assert_eq!(&msg["tool_calls"][k]["id"], &json!(id));
            prop_assert_eq!(&msg["tool_calls"][k]["function"]["name"], &json!(name));
            prop_assert_eq!(&serde_json::from_str::<Value>(msg["tool_calls"][k]["function"]["arguments"].as_str().unwrap()).unwrap(), args);
            prop_assert_eq!(&msg["tool_calls"][k]["thought_signature"], &json!("c2ln"));
        }

        let mut encoder = Encoder::default();
        let mut out = BytesMut::new();
        chunks.iter().for_each(|c| encoder.chunk(c, &mut out));
        encoder.finish(&mut out);
        let (back, _) = parse_anthropic(&out);
        let (a_text, a_thinking) = texts(&back);
        prop_assert_eq!((a_text, a_thinking), (text.clone(), thinking.clone()));
        prop_assert_eq!(tools(&back), calls.clone());

        same_to_gemini_and_responses_clients(&chunks, &text, &thinking, &calls)?;
    }

    #[test]
    fn anthropic_streams_read_the_same_to_gemini_and_responses_clients(blocks in prop::collection::vec(block(), 0..6)) {
        let mut decoder = Decoder::default();
        let chunks = decode_all(&anthropic_events(&blocks), |e| decoder.event(e));
        let plain: Vec<Block> = blocks.iter().map(|(b, _)| b.clone()).collect();
        let (text, thinking) = texts(&plain);
        let calls = tools(&plain);
        same_to_gemini_and_responses_clients(&chunks, &text, &thinking, &calls)?;
    }

    #[test]
    fn streams_survive_translation(blocks in prop::collection::vec(block(), 0..6)) {
        let mut decoder = Decoder::default();
        let mut chunks = Vec::new();
        let events = anthropic_events(&blocks);
        for (n, e) in events.iter().enumerate() {
            match decoder.event(e) {
                Decoded::Chunks(c) => chunks.extend(c),
                Decoded::Done(_) => prop_assert_eq!(n, events.len() - 1),
                Decoded::Error(e) => panic!("{e}"),
            }
        }
        // What an OpenAI client reads.
        let mut acc = ChunkAccumulator::default();
        chunks.iter().for_each(|c| acc.push(c));
        let completion = acc.into_completion();
        let msg = &completion["choices"][0]["message"];
        let text: String = blocks.iter().filter_map(|(b, _)| match b { Block::Text(t) => Some(t.as_str()), _ => None }).collect();
        prop_assert_eq!(msg["content"].as_str().unwrap_or(""), text);
        let tools: Vec<&Block> = blocks.iter().map(|(b, _)| b).filter(|b| matches!(b, Block::Tool { .. })).collect();
        for (k, t) in tools.iter().enumerate() {
            let Block::Tool { id, name, args } = t else { unreachable!() };
            prop_assert_eq!(&msg["tool_calls"][k]["id"], &json!(id));
            prop_assert_eq!(&msg["tool_calls"][k]["function"]["name"], &json!(name));
            prop_assert_eq!(&msg["tool_calls"][k]["function"]["arguments"], &json!(args));
        }
        prop_assert_eq!(completion["usage"]["completion_tokens"].as_u64(), Some(42));
        let stop_reason = if tools.is_empty() { "end_turn" } else { "tool_use" };

        // What an Anthropic client reads.
        let mut encoder = Encoder::default();
        let mut out = BytesMut::new();
        chunks.iter().for_each(|c| encoder.chunk(c, &mut out));
        encoder.finish(&mut out);
        let (back, stop) = parse_anthropic(&out);
        prop_assert_eq!(merged(back), merged(blocks.into_iter().map(|(b, _)| b)));
        prop_assert_eq!(stop, json!(stop_reason));
    }
}
