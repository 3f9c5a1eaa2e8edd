//! Running a suite: every case against every target through the gateway (so rules, prices,
//! fallbacks and the request log apply), at most `per_provider` calls at once to each
//! provider, backing off on 429 as the upstream asks. The cache is bypassed for answers (the
//! point is to see the model) but not for the judge's calls.

use super::case::{Case, Suite};
use super::checks::{Answer, Check, CheckOutcome};
use super::judge::{self, Grade};
use super::report::{CaseResult, Report};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub latency_ms: f64,
    pub cost_usd: f64,
    /// The model that answered, as the provider names it (its version, for the run's record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl Client {
    pub fn new(base: String, token: String) -> Client {
        Client { http: reqwest::Client::new(), base, token }
    }

    /// One chat call with extra `headers`; `cache` false sends `Cache-Control: no-store`.
    pub async fn chat(&self, model: &str, messages: &[Value], params: &Map<String, Value>, headers: &[(&str, &str)], cache: bool) -> Result<Reply, String> {
        let mut body = params.clone();
        body.insert("model".into(), json!(model));
        body.insert("messages".into(), json!(messages));
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let mut req = self.http.post(format!("{}/v1/chat/completions", self.base)).bearer_auth(&self.token).json(&body);
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
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
            let model = v.get("model").and_then(Value::as_str).map(str::to_owned);
            return Ok(Reply { text, latency_ms, cost_usd: cost, model });
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// What a run already has, from before a restart.
#[derive(Default)]
pub struct Prior {
    pub replies: HashMap<(String, String), Result<Reply, String>>,
    pub results: HashMap<(String, String), CaseResult>,
}

/// Told as each answer and each grade comes in (to show progress and to store them).
pub enum Event<'a> {
    Answered { case: &'a str, target: &'a str, reply: &'a Result<Reply, String> },
    Graded(&'a CaseResult),
}

/// Everything the suite asks that `prior` does not have, at once within the limits; results
/// in case order per target.
pub async fn run(client: &Client, suite: &Suite, options: &RunOptions, prior: Prior, on: &(dyn Fn(Event) + Sync)) -> Report {
    let limits: HashMap<String, Arc<Semaphore>> = options.targets.iter().map(|t| (provider_of(t), Arc::new(Semaphore::new(options.per_provider.max(1))))).collect();
    // The futures are made by named functions, not closures over the stream: a closure
    // returning a borrowing future makes the whole run lose `Send` (rust-lang/rust#102211).
    let answering: Vec<_> = options
        .targets
        .iter()
        .flat_map(|t| suite.cases.iter().map(move |c| (c, t)))
        .filter(|(c, t)| !prior.replies.contains_key(&key(c, t)))
        .map(|(case, target)| answer(client, limits[&provider_of(target)].clone(), case, target, on))
        .collect();
    let fresh: Vec<_> = stream::iter(answering).buffer_unordered(options.per_provider.max(1) * limits.len()).collect().await;
    let Prior { mut replies, results: mut graded } = prior;
    replies.extend(fresh);
    // Then the grading, once every answer (the reference's too) is in; all of the judge's calls
    // go to one provider, so they keep to the same limit.
    let grading: Vec<_> = options
        .targets
        .iter()
        .flat_map(|t| suite.cases.iter().map(move |c| (c, t)))
        .map(|(case, target)| {
            let reference = options.reference.as_ref().filter(|r| *r != target).and_then(|r| replies.get(&key(case, r))?.as_ref().ok());
            grade_once(client, options, case, target, &replies[&key(case, target)], reference, graded.remove(&key(case, target)), on)
        })
        .collect();
    let results: Vec<CaseResult> = stream::iter(grading).buffered(options.per_provider.max(1)).collect().await;
    Report::new(&suite.name, results, &options.targets, suite.problems.clone(), options.margin)
}

fn key(case: &Case, target: &str) -> (String, String) {
    (case.id.clone(), target.to_owned())
}

async fn answer(client: &Client, limit: Arc<Semaphore>, case: &Case, target: &str, on: &(dyn Fn(Event) + Sync)) -> ((String, String), Result<Reply, String>) {
    let reply = {
        let _slot = limit.acquire().await.expect("the semaphore is never closed");
        client.chat(target, &case.messages, &case.params, &[("x-sluice-tags", SUITE_TAG)], false).await
    };
    on(Event::Answered { case: &case.id, target, reply: &reply });
    (key(case, target), reply)
}

/// The grade an earlier run left, else a fresh one.
#[allow(clippy::too_many_arguments)]
async fn grade_once(client: &Client, options: &RunOptions, case: &Case, target: &str, reply: &Result<Reply, String>, reference: Option<&Reply>, done: Option<CaseResult>, on: &(dyn Fn(Event) + Sync)) -> CaseResult {
    if let Some(done) = done {
        return done;
    }
    let result = grade(client, options, case, target, reply, reference).await;
    on(Event::Graded(&result));
    result
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
        match judge::compare(client, j, JUDGE_TAG, case.question(), &reply.text, &r.text).await {
            Ok(c) => {
                result.judge_usd += c.cost_usd;
                result.versus_reference = Some(c.preference);
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

