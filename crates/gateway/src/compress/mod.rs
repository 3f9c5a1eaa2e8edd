//! Sending fewer input tokens without losing what the answer needs (`[compress]`, or a rule's
//! `then.compress`), after the cache missed and before the call goes out:
//!
//! - **retrieval**: a long system prompt keeps only the chunks the latest user message needs,
//!   in their order, within the budget (`retrieve`). Chunks are prepared once per distinct
//!   prompt (by content hash) and their embeddings computed in the background: until they are
//!   in, ranking is lexical (BM25) alone, so no request waits for a few hundred embeddings.
//! - **pruning**: earlier turns the latest message does not need are dropped (`prune`); with a
//!   `summary_model`, a summary of them (made once per dropped prefix, then reused) is added to
//!   the system prompt in their place. The summary is asked through the gateway like any call,
//!   so it is logged and priced; its cost counts against compressing.
//!
//! Either applies only when it is cheaper than the request unchanged, counting the provider's
//! prompt cache (`price`), and never fails a request: whatever goes wrong, the request goes out
//! as it came and the log says why. Requests offering tools (agents) are left alone unless
//! `with_tools` is on. A compressed request is translated from the internal form for every
//! target (no native passthrough): compressing changes the request by design.

mod chunk;
mod price;
pub mod prune;
pub mod retrieve;

pub use chunk::{KEEP_CLOSE, KEEP_OPEN};
pub use price::{decide, PrefixMemory, Verdict};
pub use retrieve::{Document, Selection, Weights, WEIGHTS};

use crate::config::CompressConfig;
use crate::embed::Embedder;
use crate::pricing::Price;
use lru::LruCache;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Distinct long prompts kept prepared.
const DOCUMENTS: usize = 64;

/// Chunks listed as kept or dropped in the log, each cut to `SNIPPET` characters.
const LISTED: usize = 40;
const SNIPPET: usize = 100;

/// What compression did to a request, for `x-sluice-compressed`, the log and the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compressed {
    /// Input tokens of what was compressed, before and after.
    pub before: u32,
    pub after: u32,
    /// "retrieval", "pruning".
    pub levers: Vec<String>,
    /// The beginnings of the parts kept and dropped (at most 40 of each).
    pub kept: Vec<String>,
    pub dropped: Vec<String>,
    /// The input cost unchanged and compressed, when the target has a price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd: Option<(f64, f64)>,
}

/// A prompt prepared for retrieval, its chunks' embeddings once computed, and the selection
/// last sent from it.
struct Prepared {
    doc: Document,
    vectors: OnceLock<Vec<Vec<f32>>>,
    embedding: AtomicBool,
    last: Mutex<Option<Selection>>,
}

/// A question whose best chunks are all in the selection last sent gets that selection again:
/// the same compressed prompt, turn after turn, is a prefix the provider can cache.
const STABLE_TOP: usize = 3;

pub struct Compressor {
    documents: Mutex<LruCache<[u8; 32], Arc<Prepared>>>,
    /// Summaries of pruned turns, by their content.
    summaries: Mutex<LruCache<[u8; 32], String>>,
    /// Token counts by message text: a conversation resends its earlier turns every turn.
    counts: Mutex<LruCache<[u8; 32], u32>>,
    pub prefixes: PrefixMemory,
}

/// Summaries remembered.
const SUMMARIES: usize = 1024;

/// The tag summary calls carry in the log.
pub const SUMMARY_TAG: &str = "compress-summary";

const SUMMARISER: &str = "Below is the earlier part of a conversation. Summarise it for the assistant that continues it: keep facts, names, numbers, decisions and open questions; drop pleasantries. At most 200 words.";

/// Message texts whose token counts are remembered.
const COUNTS: usize = 16_384;

impl Default for Compressor {
    fn default() -> Self {
        Compressor {
            documents: Mutex::new(LruCache::new(NonZeroUsize::new(DOCUMENTS).expect("nonzero"))),
            summaries: Mutex::new(LruCache::new(NonZeroUsize::new(SUMMARIES).expect("nonzero"))),
            counts: Mutex::new(LruCache::new(NonZeroUsize::new(COUNTS).expect("nonzero"))),
            prefixes: PrefixMemory::default(),
        }
    }
}

/// What the pipeline knows that compression needs.
pub struct Context<'a> {
    pub price: Option<&'a Price>,
    pub embedder: Option<Arc<dyn Embedder>>,
    /// The latest user message's embedding, when the pipeline already made it.
    pub question_vector: Option<(&'a str, &'a [f32])>,
    /// The gateway's own API, for summaries.
    pub loopback: Option<Arc<crate::suites::Client>>,
    pub now_ms: i64,
}

/// Why compression, switched on, left a request as it was.
pub type Untouched = String;

impl Compressor {
    /// Compresses `body` (the internal form) under `policy`. `Ok(None)`: nothing to do (too
    /// short, no system prompt); `Err`: left alone on purpose, saying why.
    pub async fn apply(&self, policy: &CompressConfig, body: &mut Map<String, Value>, cx: &Context<'_>) -> Result<Option<Compressed>, Untouched> {
        if body.get("tools").and_then(Value::as_array).is_some_and(|t| !t.is_empty()) && !policy.with_tools {
            return Ok(None);
        }
        let Some(original) = body.get("messages").and_then(Value::as_array) else { return Ok(None) };
        let Some(question) = original.iter().rev().find(|m| m["role"] == "user").map(prune::text_of) else { return Ok(None) };
        let mut messages = original.clone();
        let mut tokens: Vec<u32> = messages.iter().map(|m| self.tokens(&prune::text_of(m))).collect();
        let before: u32 = tokens.iter().sum();
        let head_before = head_key(&messages);
        let mut done = Compressed { before, after: before, levers: Vec::new(), kept: Vec::new(), dropped: Vec::new(), usd: None };
        let mut summary_usd = 0.0;
        if policy.retrieval {
            if let Some((place, text)) = long_text(&messages, policy.min_tokens, |t| self.tokens(t)) {
                let question = place.question(&messages).unwrap_or_else(|| question.clone());
                if let Some((prepared, selection)) = self.retrieval(policy, text, &question, cx).await {
                    done.levers.push("retrieval".into());
                    let pieces: Vec<&str> = prepared.doc.pieces().collect();
                    let kept: std::collections::HashSet<usize> = selection.kept.iter().copied().collect();
                    done.kept.extend(selection.kept.iter().take(LISTED).map(|&i| clip(pieces[i])));
                    done.dropped.extend((0..pieces.len()).filter(|i| !kept.contains(i)).take(LISTED).map(|i| clip(pieces[i])));
                    let at = place.write(&mut messages, selection.text);
                    tokens[at] = self.tokens(&prune::text_of(&messages[at]));
                }
            }
        }
        // What the provider may still have cached of the compressed form: its own head when
        // retrieval changed the system prompt, else the unchanged head up to the first dropped turn.
        let mut cached_after = match head_key(&messages) {
            Some(k) if Some(k) != head_before => self.prefixes.cached(&k, cx.now_ms),
            _ => head_before.map_or(0, |k| self.prefixes.cached(&k, cx.now_ms)),
        };
        if policy.pruning && tokens.iter().sum::<u32>() >= policy.min_tokens {
            if let Some(p) = prune::prune(&messages, &tokens, policy.recent_messages, |t| policy.budget(t)) {
                done.levers.push("pruning".into());
                done.dropped.extend(p.dropped.iter().take(LISTED).map(|&i| clip(&prune::text_of(&messages[i]))));
                let first_dropped = p.dropped.first().copied().unwrap_or(tokens.len());
                cached_after = cached_after.min(tokens[..first_dropped].iter().map(|&t| u64::from(t)).sum());
                let gone: Vec<Value> = p.dropped.iter().map(|&i| messages[i].clone()).collect();
                tokens = tokens.iter().enumerate().filter(|(i, _)| !p.dropped.contains(i)).map(|(_, &t)| t).collect();
                messages = p.messages;
                if let Some(model) = &policy.summary_model {
                    let (summary, usd) = self.summary(model, policy.summary_timeout_secs, &gone, cx).await.map_err(|e| format!("left uncompressed: the summary by {model} failed: {e}"))?;
                    summary_usd = usd;
                    let note = format!("Summary of earlier turns, left out here:\n{summary}");
                    match messages.first_mut().filter(|m| matches!(m["role"].as_str(), Some("system" | "developer"))) {
                        Some(system) => system["content"] = json!(format!("{}\n\n{note}", prune::text_of(system))),
                        None => messages.insert(0, json!({ "role": "system", "content": note })),
                    }
                    tokens.push(self.tokens(&note));
                    done.levers.push("summary".into());
                }
            }
        }
        if done.levers.is_empty() {
            return Ok(None);
        }
        done.after = tokens.iter().sum();
        let cached_before = head_before.map_or(0, |k| self.prefixes.cached(&k, cx.now_ms));
        let verdict = price::decide(cx.price, done.before.into(), done.after.into(), cached_before, cached_after, summary_usd);
        done.usd = cx.price.map(|_| (verdict.unchanged_usd, verdict.compressed_usd));
        if !verdict.compress {
            return Err(format!(
                "left uncompressed: with {cached_before} tokens cached at the provider it costs ${:.6} as it is, ${:.6} compressed",
                verdict.unchanged_usd, verdict.compressed_usd
            ));
        }
        body.insert("messages".into(), Value::Array(messages));
        Ok(Some(done))
    }

    /// A summary of `gone`, made once per distinct run of turns; with what making it cost.
    async fn summary(&self, model: &str, timeout_secs: u64, gone: &[Value], cx: &Context<'_>) -> Result<(String, f64), String> {
        let transcript: String = gone.iter().map(|m| format!("{}: {}\n", m["role"].as_str().unwrap_or("?"), prune::text_of(m))).collect();
        let key: [u8; 32] = Sha256::digest(format!("{model}\0{transcript}").as_bytes()).into();
        if let Some(known) = self.summaries.lock().expect("summaries lock").get(&key) {
            return Ok((known.clone(), 0.0));
        }
        let client = cx.loopback.as_ref().ok_or("no way to call the gateway")?;
        let messages = [json!({ "role": "system", "content": format!("{SUMMARISER}\n\n<conversation>\n{transcript}</conversation>") }), json!({ "role": "user", "content": "Write the summary." })];
        let params = json!({ "temperature": 0 }).as_object().cloned().unwrap_or_default();
        let headers = [("x-sluice-tags", SUMMARY_TAG), ("x-sluice-compress", "off")];
        let call = client.chat(model, &messages, &params, &headers, true);
        let reply = tokio::time::timeout(std::time::Duration::from_secs(timeout_secs), call).await.map_err(|_| format!("took more than {timeout_secs} s"))??;
        if reply.text.trim().is_empty() {
            return Err("it answered nothing".into());
        }
        self.summaries.lock().expect("summaries lock").put(key, reply.text.clone());
        Ok((reply.text, reply.cost_usd))
    }

    /// Tokens in a message's text, counted once per distinct text.
    pub fn tokens(&self, text: &str) -> u32 {
        let key: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if let Some(&n) = self.counts.lock().expect("counts lock").get(&key) {
            return n;
        }
        let n = crate::pricing::count_tokens(text) as u32;
        self.counts.lock().expect("counts lock").put(key, n);
        n
    }

    /// The long text's selection for the question, when it is long enough to compress.
    async fn retrieval(&self, policy: &CompressConfig, text: String, question: &str, cx: &Context<'_>) -> Option<(Arc<Prepared>, Selection)> {
        let key: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let known = self.documents.lock().expect("documents lock").get(&key).cloned();
        let prepared = match known {
            Some(p) => p,
            None => {
                let prepare = move || Prepared { doc: Document::new(text), vectors: OnceLock::new(), embedding: AtomicBool::new(false), last: Mutex::new(None) };
                let prepared = Arc::new(tokio::task::spawn_blocking(prepare).await.ok()?);
                self.documents.lock().expect("documents lock").put(key, prepared.clone());
                prepared
            }
        };
        if prepared.doc.total_tokens < policy.min_tokens {
            return None;
        }
        let meaning = self.meaning(&prepared, question, cx).await;
        let scores = prepared.doc.scores(question, meaning.as_deref(), WEIGHTS);
        let budget = policy.budget(prepared.doc.total_tokens);
        let mut best: Vec<usize> = (0..scores.len()).collect();
        best.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let mut last = prepared.last.lock().expect("last selection lock");
        let stable = last.clone().filter(|l| l.tokens <= budget && best.iter().take(STABLE_TOP).all(|i| l.kept.contains(i)));
        let selection = stable.unwrap_or_else(|| prepared.doc.select(&scores, budget));
        *last = Some(selection.clone());
        drop(last);
        (selection.kept.len() < prepared.doc.chunks.len()).then_some((prepared, selection))
    }

    /// Each chunk's cosine similarity with the question, once the chunks are embedded; the
    /// first sight of a prompt starts embedding its chunks in the background.
    async fn meaning(&self, prepared: &Arc<Prepared>, question: &str, cx: &Context<'_>) -> Option<Vec<f32>> {
        let embedder = cx.embedder.clone()?;
        let Some(vectors) = prepared.vectors.get() else {
            if !prepared.embedding.swap(true, Ordering::AcqRel) {
                let prepared = prepared.clone();
                tokio::task::spawn_blocking(move || match prepared.doc.pieces().map(|p| embedder.embed_head(p).map(|(v, _)| v)).collect::<Result<Vec<_>, _>>() {
                    Ok(v) => drop(prepared.vectors.set(v)),
                    Err(e) => tracing::warn!("cannot embed a system prompt's chunks; retrieval stays lexical for it: {e}"),
                });
            }
            return None;
        };
        let q = match cx.question_vector.filter(|(text, _)| *text == question) {
            Some((_, v)) => v.to_vec(),
            None => {
                let question = question.to_owned();
                tokio::task::spawn_blocking(move || embedder.embed_head(&question).map(|(v, _)| v)).await.ok()?.ok()?
            }
        };
        Some(vectors.iter().map(|v| crate::embed::cosine(v, &q)).collect())
    }
}

/// Where a long text to retrieve from sits.
enum Place {
    /// The system prompt (a string, or its text parts joined).
    System,
    /// A text part of the first user message that has other parts (the question) or later turns:
    /// documents pasted into the conversation.
    Part { message: usize, part: usize },
}

/// The system prompt when it has `min_tokens` or more, else the longest text part of the first
/// user message when that has as many and is not all the conversation asks.
fn long_text(messages: &[Value], min_tokens: u32, count: impl Fn(&str) -> u32) -> Option<(Place, String)> {
    if let Some(system) = messages.first().filter(|m| matches!(m["role"].as_str(), Some("system" | "developer"))) {
        let text = prune::text_of(system);
        if count(&text) >= min_tokens {
            return Some((Place::System, text));
        }
    }
    let message = messages.iter().position(|m| m["role"] == "user")?;
    let parts = messages[message]["content"].as_array()?;
    let (part, text) = parts.iter().enumerate().filter_map(|(i, p)| Some((i, p["text"].as_str().filter(|_| p["type"] == "text")?))).max_by_key(|(_, t)| t.len())?;
    let later_turn = messages[message + 1..].iter().any(|m| m["role"] == "user");
    let other_text = parts.iter().enumerate().any(|(i, p)| i != part && p["text"].as_str().is_some_and(|t| !t.trim().is_empty()));
    (count(text) >= min_tokens && (later_turn || other_text)).then(|| (Place::Part { message, part }, text.to_owned()))
}

impl Place {
    /// The question when the long text shares its message with it: the message's other texts.
    fn question(&self, messages: &[Value]) -> Option<String> {
        let Place::Part { message, part } = *self else { return None };
        let last_user = messages.iter().rposition(|m| m["role"] == "user")?;
        (last_user == message).then(|| {
            let parts = messages[message]["content"].as_array().into_iter().flatten();
            parts.enumerate().filter(|(i, _)| *i != part).filter_map(|(_, p)| p["text"].as_str()).collect::<Vec<_>>().join("\n")
        })
    }

    /// Puts the kept text in place; returns the message's index.
    fn write(&self, messages: &mut [Value], text: String) -> usize {
        match *self {
            Place::System => {
                messages[0]["content"] = json!(text);
                0
            }
            Place::Part { message, part } => {
                messages[message]["content"][part]["text"] = json!(text);
                message
            }
        }
    }
}

/// Names a conversation by its first message when that is a system prompt: what the provider
/// caches of one turn is (at least) that head, and the next turn starts with it again.
pub fn head_key(messages: &[Value]) -> Option<[u8; 32]> {
    let first = messages.first().filter(|m| matches!(m["role"].as_str(), Some("system" | "developer")))?;
    Some(Sha256::digest(prune::text_of(first).as_bytes()).into())
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(SNIPPET).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}
