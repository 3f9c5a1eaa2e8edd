//! One chat request in flight: what it asked for and how it ends (hit, answer, failure).

use super::edge::{self, Client, StreamOut};
use super::semantic::PendingRow;
use crate::cache::semantic::shown_question;
use crate::cache::{CachePlan, CacheStatus};
use crate::pricing::estimate_usage;
use crate::quality::{Hit, Kind, Sample, Ticket};
use crate::router::{Route, Target};
use crate::server::respond::{json_response, sluice_headers, sse_response, Money};
use crate::store::{AttemptRecord, CacheInsert, RequestRecord, SemanticMatch, StoredAnswer};
use crate::providers::{Chunk, Frame, ProviderError};
use crate::wire::anthropic::message::UNTRANSLATED;
use crate::wire::{completion_to_chunks, Usage};
use crate::{Engine, Runtime};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;

pub struct Call {
    pub engine: Arc<Engine>,
    pub rt: Arc<Runtime>,
    pub id: String,
    pub started: Instant,
    pub ts_ms: i64,
    pub client: Client,
    /// The model name the client asked for.
    pub model: String,
    pub stream: bool,
    pub route: Route,
    pub plan: Option<CachePlan>,
    /// The request as sent upstream (shared, not copied), for token estimates when the
    /// upstream reports no usage.
    pub body: Arc<Map<String, Value>>,
    /// Kept only when `log.store_bodies` is on.
    pub request_body: Option<String>,
    /// The question and its embedding, when the answer may also serve near-duplicates.
    pub semantic: PendingRow,
    /// What the client asked for that the target that answered, of another API, went without.
    pub left_out: Vec<String>,
    /// The difficulty router's score, when a rule asked for it.
    pub difficulty: Option<f32>,
    pub tags: Vec<String>,
    /// Said in `x-sluice-budget`: a budget covering this request is past its warning share.
    pub budget_warning: Option<crate::router::BudgetState>,
    /// What compression did (`x-sluice-compressed`, the log).
    pub compressed: Option<crate::compress::Compressed>,
    /// The request before compression, for the quality loop's reference.
    pub uncompressed: Option<Arc<Map<String, Value>>>,
    /// Why compression, switched on, left the request as it was.
    pub compress_note: Option<String>,
    /// Compression is on for this request: what the provider cached of its prompt is worth
    /// remembering (and hashing the prompt for), which it is not otherwise.
    pub compression_on: bool,
}

/// Answers that end like this are complete and safe to replay.
const CACHEABLE_FINISH: &[&str] = &["stop", "length", "tool_calls", "function_call"];

/// Complete, and wholly held by the internal form (a replay can give all of it back).
pub fn cacheable_completion(completion: &Value) -> bool {
    let choices = completion.get("choices").and_then(Value::as_array);
    choices.is_some_and(|c| {
        !c.is_empty() && c.iter().all(|c| c.get("finish_reason").and_then(Value::as_str).is_some_and(|f| CACHEABLE_FINISH.contains(&f)) && c.get(UNTRANSLATED).is_none())
    })
}

impl Call {
    pub fn cache_status(&self) -> CacheStatus {
        match self.plan {
            Some(p) if p.lookup => CacheStatus::Miss,
            _ => CacheStatus::Bypass,
        }
    }

    pub fn record(&self, cache: CacheStatus, status: u16, target: Option<&Target>) -> RequestRecord {
        RequestRecord {
            id: self.id.clone(),
            ts_ms: self.ts_ms,
            model_requested: self.model.clone(),
            client_api: self.client.api,
            provider: target.map(|t| t.provider.clone()),
            model: target.map(|t| t.model.clone()),
            cache,
            status,
            latency_ms: crate::elapsed_ms(self.started),
            ttft_ms: None,
            stream: self.stream,
            usage: None,
            tokens_estimated: false,
            cost_usd: None,
            saved_usd: None,
            error: None,
            cache_key: self.plan.map(|p| p.key),
            attempts: Vec::new(),
            request_body: self.request_body.clone(),
            response_body: None,
            semantic: None,
            left_out: self.left_out.clone(),
            rule: self.route.rule.clone(),
            difficulty: self.difficulty,
            tags: self.tags.clone(),
            compressed: self.compressed.clone(),
            compress_note: self.compress_note.clone(),
        }
    }

    /// Cost on the target that served, and what the route's baseline model would have cost
    /// (nothing for the quality loop's own calls: checking a saving saves nothing).
    pub fn account(&self, target: &Target, usage: Usage) -> (Option<f64>, Option<f64>) {
        let prices = &self.rt.prices;
        let cost = prices.cost(&target.provider, &target.model, usage);
        if crate::quality::checking(&self.tags) {
            return (cost, None);
        }
        let baseline = prices.cost(&self.route.baseline.provider, &self.route.baseline.model, usage);
        (cost, cost.zip(baseline).map(|(c, b)| b - c))
    }

    /// Upstream usage, else an estimate (marked as such).
    pub async fn usage_or_estimate(&self, reported: Option<Usage>, output: String) -> (Usage, bool) {
        if let Some(u) = reported {
            return (u, false);
        }
        let body = self.body.clone();
        let estimate = tokio::task::spawn_blocking(move || estimate_usage(body.get("messages").unwrap_or(&Value::Null), &output)).await.unwrap_or_default();
        (estimate, true)
    }

    /// Logs the request (durably, before the client sees the end of the answer, so every
    /// answer a client received is in the log even if the process is killed next) and makes
    /// its answer visible to the cache at once. Then it may be sampled for the quality loop;
    /// `completion` (the answer, internal form) is read only if it is.
    pub async fn commit(&self, record: RequestRecord, cache: Option<CacheInsert>, completion: impl FnOnce() -> Option<Value>) {
        // What the provider cached of the prompt it was sent, for compression's price check.
        if let (Some(usage), true) = (record.usage.filter(|_| !record.tokens_estimated), self.compression_on && !matches!(record.cache, CacheStatus::HitExact | CacheStatus::HitSemantic)) {
            if let Some(head) = self.body.get("messages").and_then(Value::as_array).and_then(|m| crate::compress::head_key(m)) {
                self.engine.compressor.prefixes.note(head, usage.cached, self.ts_ms);
            }
        }
        if let Some(c) = &cache {
            // Copies: the upstream's bytes may be a window into a much larger read buffer, which
            // a long-lived cache entry would otherwise keep alive.
            let answer = StoredAnswer {
                provider: c.provider.clone(),
                model: c.model.clone(),
                response: Bytes::copy_from_slice(&c.response),
                chunks: c.chunks.as_ref().map(|chunks| chunks.iter().map(|b| Bytes::copy_from_slice(b)).collect()),
                usage: c.usage,
                expires_ms: c.expires_ms,
            };
            self.engine.cache.insert(c.key, Arc::new(answer));
        }
        let sample = self.sample(&record, completion);
        if let Err(e) = self.engine.log(record, cache).await {
            tracing::error!(request = %self.id, "request log write failed: {e}");
        }
        if let Some((sample, ticket)) = sample {
            crate::quality::Quality::spawn(self.engine.clone(), sample, ticket);
        }
    }

    /// The saving this answer is, if it is one, when the draw picks it for checking.
    fn sample(&self, record: &RequestRecord, completion: impl FnOnce() -> Option<Value>) -> Option<(Sample, Ticket)> {
        let quality = &self.rt.config.quality;
        quality.sampling()?;
        if record.status != 200 || !crate::quality::samplable(&self.tags) {
            return None;
        }
        let baseline = &self.route.baseline;
        let target = Target { provider: record.provider.clone()?, model: record.model.clone()? };
        let kind = match (&record.semantic, &self.compressed) {
            (Some(_), _) => Kind::Semantic,
            (None, _) if record.cache == CacheStatus::HitExact => return None,
            (None, Some(_)) => Kind::Compressed,
            (None, None) if target != *baseline && record.saved_usd.is_some_and(|s| s > 0.0) => Kind::Cheaper,
            (None, None) => return None,
        };
        let ticket = self.engine.quality.draw(quality.sample, quality.daily_cap_usd)?;
        let hit = record.semantic.as_ref().map(|m| Hit {
            partition: m.partition.clone(),
            similarity: Some(m.similarity),
            key: m.key,
            configured: self.route.cache.semantic.map_or(crate::cache::semantic::DEFAULT_THRESHOLD as f32, |s| s.threshold),
        });
        let sample = Sample {
            request_id: self.id.clone(),
            kind,
            rule: self.route.rule.clone(),
            target: format!("{}/{}", target.provider, target.model),
            reference: kind.reference(&self.model, &format!("{}/{}", baseline.provider, baseline.model)),
            body: self.uncompressed.clone().unwrap_or_else(|| self.body.clone()),
            answer: completion().as_ref().map(output_text).unwrap_or_default(),
            saved_usd: record.saved_usd,
            hit,
        };
        Some((sample, ticket))
    }

    pub async fn cache_insert(&mut self, target: &Target, response: Bytes, chunks: Option<Vec<Bytes>>, usage: Usage) -> Option<CacheInsert> {
        let plan = self.plan.filter(|p| p.store)?;
        let semantic = std::mem::replace(&mut self.semantic, PendingRow::None).resolve().await;
        Some(CacheInsert {
            key: plan.key,
            model_requested: self.model.clone(),
            provider: target.provider.clone(),
            model: target.model.clone(),
            response,
            chunks,
            usage,
            created_ms: self.ts_ms,
            expires_ms: plan.ttl.map(|t| self.ts_ms + t.as_millis() as i64),
            question: shown_question(&self.body),
            semantic,
        })
    }

    pub fn decorate(&self, response: &mut Response, cache: CacheStatus, target: Option<&Target>, money: Option<Money>) {
        sluice_headers(response, &self.id, cache, target, money);
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.route.rule) {
            h.insert("x-sluice-rule", v);
        }
        if let Some(c) = &self.compressed {
            if let Ok(v) = HeaderValue::from_str(&format!("tokens={}->{}; levers={}", c.before, c.after, c.levers.join(","))) {
                h.insert("x-sluice-compressed", v);
            }
        }
        if let Some(b) = &self.budget_warning {
            if let Ok(v) = HeaderValue::from_str(&format!("{}; used={:.0}%; state={}", b.name, b.share * 100.0, b.state)) {
                h.insert("x-sluice-budget", v);
            }
        }
    }

    /// Answers from the cache; `matched` says which stored question a semantic hit came from.
    pub async fn serve_hit(self, hit: Arc<StoredAnswer>, matched: Option<SemanticMatch>) -> Response {
        let status = if matched.is_some() { CacheStatus::HitSemantic } else { CacheStatus::HitExact };
        let target = Target { provider: hit.provider.clone(), model: hit.model.clone() };
        let prices = &self.rt.prices;
        let saved = prices
            .cost(&self.route.baseline.provider, &self.route.baseline.model, hit.usage)
            .or_else(|| prices.cost(&target.provider, &target.model, hit.usage));
        let mut record = self.record(status, 200, Some(&target));
        record.semantic = matched;
        record.usage = Some(hit.usage);
        record.cost_usd = Some(0.0);
        record.saved_usd = saved;
        if record.request_body.is_some() {
            record.response_body = Some(String::from_utf8_lossy(&hit.response).into_owned());
        }
        self.commit(record, None, || serde_json::from_slice(&hit.response).ok()).await;
        let mut response = if self.stream {
            sse_response(Body::from(self.replay(&hit)))
        } else {
            json_response(StatusCode::OK, edge::complete(&self.client, false, &hit.response, None))
        };
        self.decorate(&mut response, status, Some(&target), Some(Money { cost: Some(0.0), saved }));
        response
    }

    /// `native` is the upstream's own body when its API is not the internal one; `passthrough`
    /// when that API is the client's.
    pub async fn complete(mut self, target: Target, passthrough: bool, bytes: Bytes, native: Option<Bytes>, attempts: Vec<AttemptRecord>) -> Response {
        let cache = self.cache_status();
        let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
        let reported = parsed.as_ref().and_then(|v| v.get("usage")).and_then(Usage::from_json);
        let output = parsed.as_ref().map(output_text).unwrap_or_default();
        let (usage, estimated) = self.usage_or_estimate(reported, output).await;
        let (cost, saved) = self.account(&target, usage);
        let insert = match parsed.as_ref().filter(|v| cacheable_completion(v)) {
            Some(_) => self.cache_insert(&target, bytes.clone(), None, usage).await,
            None => None,
        };
        let mut record = self.record(cache, 200, Some(&target));
        record.usage = Some(usage);
        record.tokens_estimated = estimated;
        record.cost_usd = cost;
        record.saved_usd = saved;
        record.attempts = attempts;
        if record.request_body.is_some() {
            record.response_body = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        if parsed.is_none() {
            record.error = Some(format!("{} sent a body that is not JSON; passed on as is", target.provider));
        }
        self.commit(record, insert, || parsed).await;
        let mut response = json_response(StatusCode::OK, edge::complete(&self.client, passthrough, &bytes, native.as_ref()));
        self.decorate(&mut response, cache, Some(&target), Some(Money { cost, saved }));
        response
    }

    pub async fn fail(self, error: ProviderError, attempts: Vec<AttemptRecord>) -> Response {
        let cache = self.cache_status();
        let status = error.client_status();
        let mut record = self.record(cache, status, None);
        record.error = Some(error.to_string());
        record.attempts = attempts;
        let tried = record.attempts.len();
        self.commit(record, None, || None).await;
        let message = match tried {
            0 | 1 => error.to_string(),
            _ => format!("all {tried} targets of `{}` failed; the last: {error}", self.model),
        };
        let mut response = edge::provider_error(self.client.api, &error, message);
        self.decorate(&mut response, cache, None, None);
        response
    }

    /// A stored answer as the client's stream: the original chunks when it was streamed, else
    /// unfolded.
    fn replay(&self, hit: &StoredAnswer) -> Bytes {
        let chunks: Vec<Chunk> = match &hit.chunks {
            Some(chunks) => chunks.iter().map(|c| Chunk { value: serde_json::from_slice(c).unwrap_or(Value::Null), json: Some(c.clone()) }).collect(),
            None => completion_to_chunks(&serde_json::from_slice(&hit.response).unwrap_or(Value::Null), true).into_iter().map(|value| Chunk { value, json: None }).collect(),
        };
        let mut out = StreamOut::new(&self.client, false);
        let mut bytes = BytesMut::from(&out.frame(&Frame { chunks, native: None, ends: false })[..]);
        bytes.extend_from_slice(&out.done());
        bytes.freeze()
    }
}

fn output_text(completion: &Value) -> String {
    let mut text = String::new();
    for choice in completion.get("choices").and_then(Value::as_array).into_iter().flatten() {
        if let Some(c) = choice.pointer("/message/content").and_then(Value::as_str) {
            text.push_str(c);
        }
        if let Some(calls) = choice.pointer("/message/tool_calls") {
            text.push_str(&calls.to_string());
        }
    }
    text
}
