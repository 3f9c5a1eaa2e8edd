//! Running a suite: every case against every target through the gateway (so rules, prices,
//! fallbacks and the request log apply), at most `per_provider` calls at once to each
//! provider, backing off on 429 as the upstream asks. The cache is bypassed for answers (the
//! point is to see the model) but not for the judge's calls.

use super::case::{Case, Suite};
use super::checks::{Answer, Check, CheckOutcome};
use super::judge::{self, Grade};
use super::report::{CaseResult, Report};
use futures::stream::{self, StreamExt};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Tags suite calls carry in the request log.
pub const SUITE_TAG: &str = "suite";
pub const JUDGE_TAG: &str = "suite-judge";

/// 429s retried per call, waiting what `Retry-After` asks, else 0.5 s doubling, at most 8 s.
const RETRIES_ON_429: u32 = 5;

/// Sluice's own API, on loopback.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

pub struct Reply {
    pub text: String,
    pub latency_ms: f64,
    pub cost_usd: f64,
}

impl Client {
    pub fn new(base: String, token: String) -> Client {
        Client { http: reqwest::Client::new(), base, token }
    }

    /// One chat call; `cache` false sends `Cache-Control: no-store`.
    pub async fn chat(&self, model: &str, messages: &[Value], params: &Map<String, Value>, tags: &str, cache: bool) -> Result<Reply, String> {
        let mut body = params.clone();
        body.insert("model".into(), json!(model));
        body.insert("messages".into(), json!(messages));
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let mut req = self.http.post(format!("{}/v1/chat/completions", self.base)).bearer_auth(&self.token).header("x-sluice-tags", tags).json(&body);
            if !cache {
                req = req.header("cache-control", "no-store");
            }
            let resp = req.send().await.map_err(|e| format!("Sluice did not answer: {e}"))?;
            let status = resp.status();
            if status.as_u16() == 429 && attempt < RETRIES_ON_429 {
                let asked = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<f64>().ok());
                let wait = asked.unwrap_or(0.5 * 2f64.powi(attempt as i32)).min(8.0);
                attempt += 1;
                tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                continue;
            }
            let cost = resp.headers().get("x-sluice-cost-usd").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let v: Value = resp.json().await.map_err(|e| format!("unreadable answer: {e}"))?;
            let latency_ms = started.elapsed().as_secs_f64() * 1e3;
            if !status.is_success() {
                let message = v.pointer("/error/message").and_then(Value::as_str).unwrap_or("no message");
                return Err(format!("{status}: {message}"));
            }
            let text = v.pointer("/choices/0/message/content").and_then(Value::as_str).unwrap_or("").to_owned();
            return Ok(Reply { text, latency_ms, cost_usd: cost });
        }
    }
}

pub struct RunOptions {
    pub targets: Vec<String>,
    /// Grades `judge` checks; without it they fail, saying a judge is needed.
    pub judge: Option<String>,
    /// Compares every target's answers with this target's (pairwise, with the judge); one of
    /// `targets`.
    pub reference: Option<String>,
    pub per_provider: usize,
    /// A target within this much of the best pass rate may be recommended for being cheaper.
    pub margin: f64,
}

/// Everything the suite asks, at once within the limits; results in case order per target.
pub async fn run(client: &Client, suite: &Suite, options: &RunOptions, progress: &(dyn Fn(usize, usize) + Sync)) -> Report {
    let limits: HashMap<String, Arc<Semaphore>> = options.targets.iter().map(|t| (provider_of(t), Arc::new(Semaphore::new(options.per_provider.max(1))))).collect();
    let jobs: Vec<(&Case, &String)> = options.targets.iter().flat_map(|t| suite.cases.iter().map(move |c| (c, t))).collect();
    let total = jobs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let answers: Vec<(String, String, Result<Reply, String>)> = stream::iter(jobs)
        .map(|(case, target)| {
            let limit = limits[&provider_of(target)].clone();
            let done = &done;
            async move {
                let reply = {
                    let _slot = limit.acquire().await.expect("the semaphore is never closed");
                    client.chat(target, &case.messages, &case.params, SUITE_TAG, false).await
                };
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
                (case.id.clone(), target.clone(), reply)
            }
        })
        .buffer_unordered(options.per_provider.max(1) * limits.len())
        .collect()
        .await;
    // Then the grading, once every answer (the reference's too) is in; all of the judge's calls
    // go to one provider, so they keep to the same limit.
    let by_key: HashMap<(&str, &str), &Result<Reply, String>> = answers.iter().map(|(c, t, r)| ((c.as_str(), t.as_str()), r)).collect();
    let pairs = options.targets.iter().flat_map(|t| suite.cases.iter().map(move |c| (c, t)));
    let results: Vec<CaseResult> = stream::iter(pairs)
        .map(|(case, target)| {
            let reply = by_key[&(case.id.as_str(), target.as_str())];
            let reference = options.reference.as_ref().filter(|r| *r != target).and_then(|r| by_key.get(&(case.id.as_str(), r.as_str()))?.as_ref().ok());
            grade(client, options, case, target, reply, reference)
        })
        .buffered(options.per_provider.max(1))
        .collect()
        .await;
    Report::new(&suite.name, results, &options.targets, suite.problems.clone(), options.margin)
}

async fn grade(client: &Client, options: &RunOptions, case: &Case, target: &str, reply: &Result<Reply, String>, reference: Option<&Reply>) -> CaseResult {
    let mut result = CaseResult::new(&case.id, target);
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            result.error = Some(e.clone());
            return result;
        }
    };
    let answer = Answer { text: &reply.text, latency_ms: reply.latency_ms, cost_usd: reply.cost_usd };
    let mut checks: Vec<CheckOutcome> = Vec::new();
    for check in &case.checks {
        match (check.run(&answer), check) {
            (Some(outcome), _) => checks.push(outcome),
            (None, Check::Judge { rubric, min_score }) => {
                let outcome = match &options.judge {
                    None => Err("no judge model given (--judge)".to_owned()),
                    Some(j) => judge::grade(client, j, case.question(), &reply.text, rubric).await,
                };
                checks.push(match outcome {
                    Ok(Grade { score, reason, cost_usd }) => {
                        result.judge_usd += cost_usd;
                        result.judge_score = Some(score);
                        CheckOutcome { check: check.name(), passed: score >= *min_score, detail: Some(format!("{:.1}/10: {reason}", score * 10.0)) }
                    }
                    Err(e) => CheckOutcome { check: check.name(), passed: false, detail: Some(e) },
                });
            }
            (None, _) => unreachable!("only the judge check is decided by a model"),
        }
    }
    if let (Some(j), Some(r)) = (&options.judge, reference) {
        match judge::compare(client, j, case.question(), &reply.text, &r.text).await {
            Ok((preference, usd)) => {
                result.judge_usd += usd;
                result.versus_reference = Some(preference);
            }
            Err(e) => result.error = Some(e),
        }
    }
    result.passed = result.error.is_none() && checks.iter().all(|c| c.passed);
    result.checks = checks;
    result.answer = Some(reply.text.clone());
    result.latency_ms = Some(reply.latency_ms);
    result.cost_usd = reply.cost_usd;
    result
}

/// `provider/model` → `provider`; a route or rule name is its own group.
fn provider_of(target: &str) -> String {
    target.split_once('/').map_or(target, |(p, _)| p).to_owned()
}

