//! The targets run on generated inputs (proptest): JSON shaped like the real thing (the right
//! keys with values of any type, nested; events shaped like each provider's) and arbitrary
//! bytes. Cases per target: `SLUICE_FUZZ_CASES` (default 300, what the test suite runs);
//! `cargo xtask fuzz` runs 1,000,000 per target in release.
//!
//! Allocation is bounded too: each case's heap high-water mark (on its own thread, see
//! [`heap`]) must stay under [`HEAP_BOUND`], so a parser that sizes a buffer from a number it
//! read (an event's `index`, say) fails here rather than on a user's machine. Each target
//! prints the largest peak it saw.

use super::targets;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
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
        // Counts and indexes of a size a parser might allocate for.
        (0..1_000_000i64).prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        prop::sample::select(KEYS).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            keyed(inner, 6).prop_map(Value::Object),
        ]
    })
}

/// Events shaped like each provider's, with any values in them: generic values alone seldom
/// reach a decoder's inner branches (an `index` two levels down, say).
fn event() -> impl Strategy<Value = Value> {
    let v = value;
    let anthropic_type = prop::sample::select(&["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "error"][..]);
    let responses_type = prop::sample::select(
        &["response.created", "response.output_item.added", "response.output_text.delta", "response.function_call_arguments.delta", "response.output_item.done", "response.completed", "response.failed", "error"][..],
    );
    prop_oneof![
        value(),
        (v(), v(), v(), v(), v()).prop_map(|(index, content, call_index, args, finish)| {
            serde_json::json!({"choices": [{"index": index, "delta": {"content": content, "tool_calls": [{"index": call_index, "function": {"arguments": args}}]}, "finish_reason": finish}]})
        }),
        (anthropic_type, v(), v(), v(), v()).prop_map(|(kind, index, block, delta, message)| {
            serde_json::json!({"type": kind, "index": index, "content_block": block, "delta": delta, "message": message})
        }),
        (v(), v(), v(), v()).prop_map(|(index, part, call_index, finish)| {
            serde_json::json!({"candidates": [{"index": index, "content": {"parts": [part, {"functionCall": {"index": call_index, "args": part}}]}, "finishReason": finish}]})
        }),
        (responses_type, v(), v(), v(), v()).prop_map(|(kind, index, item, delta, response)| {
            serde_json::json!({"type": kind, "output_index": index, "item": item, "delta": delta, "response": response})
        }),
    ]
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    keyed(value(), 8)
}

/// Objects of fewer than `max` entries, keyed from [`KEYS`], with `values`.
fn keyed(values: impl Strategy<Value = Value>, max: usize) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(KEYS), values), 0..max).prop_map(|kv| kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// What one case may allocate at its peak, beyond what was live before it: 1 MiB plus 64 bytes
/// per byte of input. Generated inputs are at most tens of KiB, and the largest peak measured
/// is far under this (docs/benchmarks.md, "Fuzzing"); a parser that allocates from a number it
/// read goes far over it.
const HEAP_BOUND: (usize, usize) = (1 << 20, 64);

/// Counts the heap bytes each thread allocates and frees, and their high-water mark; a
/// thread-local count is exact for a case, which runs on one thread.
mod heap {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
    }

    fn add(bytes: isize) {
        // `try_with`: the allocator also runs while a thread's locals are being torn down.
        let _ = LIVE.try_with(|live| {
            live.set(live.get() + bytes);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
        });
    }

    struct Counting;

    // SAFETY: every call is passed to the system allocator unchanged; the counting around it
    // neither allocates nor unwinds.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            add(layout.size() as isize);
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            add(-(layout.size() as isize));
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            add(new_size as isize - layout.size() as isize);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static COUNTING: Counting = Counting;

    /// The most `f` had allocated at once on this thread, beyond what was live before it.
    pub fn peak_during(f: impl FnOnce()) -> usize {
        let before = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(before));
        f();
        (PEAK.with(Cell::get) - before).max(0) as usize
    }
}

/// Runs `body` on `cases()` generated inputs: no panic, and no case over [`HEAP_BOUND`] for
/// its input's `size` in bytes. Prints the largest peak, for docs/benchmarks.md.
fn fuzz<S: Strategy>(name: &str, strategy: S, size: impl Fn(&S::Value) -> usize, body: impl Fn(&S::Value)) {
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let worst = Cell::new((0, 0));
    let result = runner.run(&strategy, |input| {
        let (peak, bytes) = (heap::peak_during(|| body(&input)), size(&input));
        prop_assert!(peak <= HEAP_BOUND.0 + HEAP_BOUND.1 * bytes, "{name}: a {bytes}-byte input allocated {peak} bytes at its peak");
        if peak > worst.get().0 {
            worst.set((peak, bytes));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let (peak, bytes) = worst.get();
    eprintln!("{name}: {} cases; the largest heap peak was {:.1} KiB, for a {bytes}-byte input", cases(), peak as f64 / 1024.0);
}

fn json_len(v: &impl serde::Serialize) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

#[test]
fn fuzz_client_requests() {
    fuzz("client requests", (object(), "\\PC{0,20}"), |(body, model)| json_len(body) + model.len(), |(body, model)| targets::client_request(body, model));
}

#[test]
fn fuzz_provider_streams() {
    fuzz("provider streams", prop::collection::vec(event(), 0..12), json_len, |events| targets::provider_stream(events));
}

#[test]
fn fuzz_sse_framing() {
    let pieces = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..12);
    fuzz("SSE framing", pieces, |p| p.iter().map(Vec::len).sum(), |pieces| targets::sse_framing(pieces));
}

#[test]
fn fuzz_config_files() {
    let text = "(\\[\\[?[a-z_.]{1,12}\\]\\]?\\n|[a-z_]{1,14} = (\"\\PC{0,10}\"|[0-9.e+-]{1,8}|true|false|\\[\\]|\\{\\})\\n|\\PC{0,20}\\n){0,16}";
    fuzz("config files", text, String::len, |text| targets::config_file(text));
}
