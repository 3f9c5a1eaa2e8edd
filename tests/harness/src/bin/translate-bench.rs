//! CPU cost of Sluice's API translation, in process (release build): a request and its whole
//! answer translated each way, and a 100-event stream decoded from one API and encoded into
//! another, with the same code the gateway runs. Prints JSON (microseconds, medians of many
//! runs) for `cargo xtask bench`.

use bytes::BytesMut;
use serde_json::{json, Map, Value};
use sluice_gateway::wire::{anthropic, gemini, responses, ChunkAccumulator, Decoded};
use std::hint::black_box;
use std::time::Instant;

const RUNS: usize = 2000;

fn median_us(mut f: impl FnMut()) -> f64 {
    for _ in 0..RUNS / 10 {
        f();
    }
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// A chat request of an agent's shape: a system prompt, a few turns, two tools.
fn chat_request() -> Map<String, Value> {
    let tool = |name: &str| json!({"type": "function", "function": {"name": name, "description": "A tool that does a thing with a path", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}});
    obj(json!({"model": "m", "max_tokens": 1024, "temperature": 0.2, "tools": [tool("read_file"), tool("list_dir")], "messages": [
        {"role": "system", "content": "You are a careful coding assistant. ".repeat(40)},
        {"role": "user", "content": "What is in src/main.rs? ".repeat(5)},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{\"path\":\"src/main.rs\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "fn main() { println!(\"hello\"); }\n".repeat(20)},
        {"role": "user", "content": "Explain it briefly."}
    ]}))
}

/// A 100-event Anthropic stream: start, block start, 95 text deltas, block stop, message delta and stop.
fn anthropic_stream() -> Vec<Value> {
    let mut e = vec![
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": [], "usage": {"input_tokens": 500, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ];
    e.extend((0..95).map(|i| json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": format!(" word{i}")}})));
    e.push(json!({"type": "content_block_stop", "index": 0}));
    e.push(json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 95}}));
    e.push(json!({"type": "message_stop"}));
    assert_eq!(e.len(), 100);
    e
}

/// What the gateway does per event: parse the upstream's bytes, decode to chunks, fold them
/// for the log, and write them in the client's API.
fn translate_stream(events: &[String], mut encode: impl FnMut(&Value, &mut BytesMut)) -> usize {
    let mut decoder = anthropic::stream::Decoder::default();
    let mut acc = ChunkAccumulator::default();
    let mut out = BytesMut::new();
    for raw in events {
        let event: Value = serde_json::from_str(raw).expect("JSON");
        let chunks = match decoder.event(&event) {
            Decoded::Chunks(c) | Decoded::Done(c) => c,
            Decoded::Error(e) => panic!("{e}"),
        };
        for c in &chunks {
            acc.push(c);
            encode(c, &mut out);
        }
    }
    out.len() + acc.output_text().len()
}

fn main() {
    let request = chat_request();
    let message = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": [{"type": "text", "text": "It prints hello. ".repeat(20)}],
                         "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 500, "output_tokens": 80}});
    let message_bytes = message.to_string();
    let anthropic_request = anthropic::request::from_internal(&request, "claude").expect("translatable");

    let to_anthropic = median_us(|| {
        let body = anthropic::request::from_internal(black_box(&request), "claude").expect("translatable");
        let bytes = serde_json::to_vec(&body).expect("JSON");
        let answer: Value = serde_json::from_str(black_box(&message_bytes)).expect("JSON");
        black_box((bytes, anthropic::message::to_completion(&answer).to_string()));
    });
    let from_anthropic = median_us(|| {
        let internal = anthropic::request::to_internal(black_box(&anthropic_request)).expect("valid");
        let completion = anthropic::message::to_completion(&message);
        black_box((internal.body, anthropic::message::from_completion(&completion).to_string()));
    });
    let to_gemini = median_us(|| {
        let body = gemini::request::from_internal(black_box(&request)).expect("translatable");
        black_box(serde_json::to_vec(&body).expect("JSON"));
    });

    let events: Vec<String> = anthropic_stream().iter().map(Value::to_string).collect();
    let stream_to_openai = median_us(|| {
        black_box(translate_stream(&events, |c, out| out.extend_from_slice(&sluice_gateway::wire::sse_data(&serde_json::to_vec(c).expect("JSON")))));
    });
    let stream_to_anthropic = median_us(|| {
        let mut encoder = anthropic::stream::Encoder::default();
        black_box(translate_stream(&events, |c, out| encoder.chunk(c, out)));
    });
    let stream_to_responses = median_us(|| {
        let mut encoder = responses::response::Encoder::new(Vec::new());
        black_box(translate_stream(&events, |c, out| encoder.chunk(c, out)));
    });

    println!(
        "{}",
        json!({
            "request_and_answer_to_anthropic_us": to_anthropic,
            "request_and_answer_from_anthropic_us": from_anthropic,
            "request_to_gemini_us": to_gemini,
            "stream_100_events_anthropic_to_openai_us": stream_to_openai,
            "stream_100_events_anthropic_to_anthropic_translated_us": stream_to_anthropic,
            "stream_100_events_anthropic_to_responses_us": stream_to_responses,
        })
    );
}
