//! One sample checked in the background: the reference asked, the judge asked in both orders,
//! the verdict stored, and the settings it moves moved.

use super::{tune, Kind, Sample, Ticket, Verdict, QUALITY_JUDGE_TAG, QUALITY_TAG};
use crate::store::{self, Feedback, VerdictRow};
use crate::suites::judge::{self, Preference};
use crate::Engine;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The reference and the judge each get this long before the verdict is "unknown".
const TIMEOUT: Duration = Duration::from_secs(120);

/// Fields of the internal request that the loopback client sets itself.
const SET_BY_CLIENT: [&str; 4] = ["model", "messages", "stream", "stream_options"];

pub(super) async fn check(engine: Arc<Engine>, sample: Sample, ticket: Ticket) {
    let rt = engine.runtime();
    let quality = &rt.config.quality;
    let Some(judge_model) = quality.judge.clone() else { return engine.quality.settle(ticket, 0.0) };
    let question = crate::cache::semantic::shown_question(&sample.body).unwrap_or_default();
    let (verdict, reason, reference_answer, cost) = ask(&engine, &sample, &judge_model, &question).await;
    engine.quality.settle(ticket, cost);
    let row = VerdictRow {
        request_id: sample.request_id.clone(),
        ts: crate::now_ms(),
        kind: sample.kind,
        rule: sample.rule.clone(),
        target: sample.target.clone(),
        reference: sample.reference.clone(),
        partition: sample.hit.as_ref().map(|h| h.partition.clone()),
        similarity: sample.hit.as_ref().and_then(|h| h.similarity),
        verdict,
        reason,
        question,
        answer: sample.answer.clone(),
        reference_answer,
        cost_usd: cost,
        saved_usd: sample.saved_usd,
    };
    tracing::info!(request = %sample.request_id, kind = sample.kind.as_str(), verdict = verdict.as_str(), cost, "quality sample judged");
    if sample.kind == Kind::Cheaper && verdict != Verdict::Unknown {
        learn(&engine, &sample, verdict == Verdict::Disagree).await;
    }
    if let Some(hit) = &sample.hit {
        if verdict == Verdict::Disagree {
            engine.cache.remove(&hit.key);
            if let Err(e) = engine.store.cache_feedback(hit.key, Feedback::Invalidated, Some(sample.request_id.clone()), true).await {
                tracing::warn!("could not take a wrong hit's entry out: {e}");
            }
        }
        if quality.tune {
            if let Err(e) = engine.quality.tune(&engine.store, tune::Bounds::of(quality), hit, &sample.rule, verdict, &sample.request_id).await {
                tracing::warn!("could not record a threshold change: {e}");
            }
        }
    }
    // Last, so that what a stored verdict caused is done by the time it can be read.
    if let Err(e) = engine.store.write(move |c| store::record_verdict(c, &row)).await {
        tracing::warn!("could not store a quality verdict: {e}");
    }
}

/// The verdict, the judge's reason (or why there is none), the reference's answer, and what
/// the two cost.
async fn ask(engine: &Arc<Engine>, sample: &Sample, judge_model: &str, question: &str) -> (Verdict, String, Option<String>, f64) {
    let client = engine.loopback_client();
    let messages = sample.body.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
    let params = sample.body.iter().filter(|(k, _)| !SET_BY_CLIENT.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    // Never from the cache, never into it, never compressed: the reference is the request as
    // it would have gone without the saving.
    let headers = [("x-sluice-tags", QUALITY_TAG), ("cache-control", "no-cache, no-store"), ("x-sluice-compress", "off")];
    let reference = match tokio::time::timeout(TIMEOUT, client.chat(&sample.reference, &messages, &params, &headers, true)).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(e)) => return (Verdict::Unknown, format!("the reference failed: {e}"), None, 0.0),
        Err(_) => return (Verdict::Unknown, format!("the reference took over {} s", TIMEOUT.as_secs()), None, 0.0),
    };
    let compared = tokio::time::timeout(TIMEOUT, judge::compare(&client, judge_model, QUALITY_JUDGE_TAG, question, &sample.answer, &reference.text)).await;
    let (verdict, reason, judge_cost) = match compared {
        Ok(Ok(c)) => (if c.preference == Preference::Reference { Verdict::Disagree } else { Verdict::Agree }, c.reason, c.cost_usd),
        Ok(Err(e)) => (Verdict::Unknown, e, 0.0),
        Err(_) => (Verdict::Unknown, format!("the judge took over {} s", TIMEOUT.as_secs()), 0.0),
    };
    (verdict, reason, Some(reference.text), reference.cost_usd + judge_cost)
}

/// Labels the prompt for the difficulty router, embedded as the router embeds it (the last
/// user message, by the local model its scores are made for).
async fn learn(engine: &Arc<Engine>, sample: &Sample, needs_strong: bool) {
    if engine.semantic.embedder_name().as_deref() != Some(crate::embed::MINILM) {
        return;
    }
    let messages = sample.body.get("messages").and_then(Value::as_array);
    let Some(last) = messages.and_then(|m| m.iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("user"))) else { return };
    let Some((embedding, _)) = engine.semantic.embed_head(&crate::wire::message_text(last)).await else { return };
    if let Err(e) = engine.quality.learn(&engine.store, &sample.request_id, embedding, needs_strong).await {
        tracing::warn!("could not keep a labelled prompt: {e}");
    }
}
