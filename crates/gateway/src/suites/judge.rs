//! The LLM judge: grades an answer against a rubric (a score 0–10 and a short reason), or
//! compares it with a reference target's answer. A comparison asks twice with the answers in
//! swapped order, and a disagreement counts as a tie: judges favour a position, and only a
//! preference that survives the swap is one.
//!
//! Judge calls go through the gateway at temperature 0 and may be cached, so re-running a
//! suite does not pay twice for the same question and answer.

use super::run::{Client, JUDGE_TAG};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const GRADER: &str = "You grade answers strictly against a rubric. Reply with JSON only: {\"score\": an integer 0-10, \"reason\": \"one short sentence\"}.";
const COMPARER: &str = "You compare two answers to the same question. Reply with JSON only: {\"better\": \"A\" or \"B\" or \"tie\", \"reason\": \"one short sentence\"}.";

#[derive(Debug, Clone, Serialize)]
pub struct Grade {
    /// 0–1.
    pub score: f64,
    pub reason: String,
    pub cost_usd: f64,
}

/// The target's answer against the reference's, after both orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preference {
    Target,
    Reference,
    Tie,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    A,
    B,
    Tie,
}

pub async fn grade(client: &Client, judge: &str, question: &str, answer: &str, rubric: &str) -> Result<Grade, String> {
    let user = format!("<question>\n{question}\n</question>\n<answer>\n{answer}\n</answer>\n<rubric>\n{rubric}\n</rubric>");
    let reply = ask(client, judge, JUDGE_TAG, GRADER, &user).await?;
    let v = json_in(&reply.text).ok_or_else(|| format!("the judge did not answer in JSON: {}", clip(&reply.text)))?;
    let score = v.get("score").and_then(Value::as_f64).filter(|s| (0.0..=10.0).contains(s)).ok_or_else(|| format!("the judge gave no score 0–10: {}", clip(&reply.text)))?;
    Ok(Grade { score: score / 10.0, reason: v.get("reason").and_then(Value::as_str).unwrap_or("").to_owned(), cost_usd: reply.cost_usd })
}

/// A comparison after both orders.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub preference: Preference,
    /// The judge's reasons, both orders (the second only when it differs).
    pub reason: String,
    pub cost_usd: f64,
}

/// Asks with the target's answer first, then second. `tag` marks the judge's calls in the log.
pub async fn compare(client: &Client, judge: &str, tag: &str, question: &str, answer: &str, reference: &str) -> Result<Comparison, String> {
    let pose = |a: &str, b: &str| format!("<question>\n{question}\n</question>\n<answer_a>\n{a}\n</answer_a>\n<answer_b>\n{b}\n</answer_b>");
    let first = ask(client, judge, tag, COMPARER, &pose(answer, reference)).await?;
    let second = ask(client, judge, tag, COMPARER, &pose(reference, answer)).await?;
    let ((a, why_a), (b, why_b)) = (choice(&first.text)?, choice(&second.text)?);
    let reason = if why_a == why_b || why_b.is_empty() { why_a } else { format!("{why_a} / {why_b}") };
    Ok(Comparison { preference: combine(a, b), reason, cost_usd: first.cost_usd + second.cost_usd })
}

/// `first` with the target as A, `second` with the target as B.
fn combine(first: Choice, second: Choice) -> Preference {
    match (first, second) {
        (Choice::A, Choice::B) => Preference::Target,
        (Choice::B, Choice::A) => Preference::Reference,
        _ => Preference::Tie,
    }
}

/// The judge's choice and its reason.
fn choice(text: &str) -> Result<(Choice, String), String> {
    let v = json_in(text).ok_or_else(|| format!("the judge did not answer in JSON: {}", clip(text)))?;
    let choice = match v.get("better").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
        Some("a") => Choice::A,
        Some("b") => Choice::B,
        Some("tie") => Choice::Tie,
        _ => return Err(format!("the judge named no better answer: {}", clip(text))),
    };
    Ok((choice, v.get("reason").and_then(Value::as_str).unwrap_or("").to_owned()))
}

async fn ask(client: &Client, judge: &str, tag: &str, system: &str, user: &str) -> Result<super::run::Reply, String> {
    let messages = [json!({ "role": "system", "content": system }), json!({ "role": "user", "content": user })];
    let params = json!({ "temperature": 0 }).as_object().cloned().unwrap_or_default();
    client.chat(judge, &messages, &params, &[("x-sluice-tags", tag)], true).await.map_err(|e| format!("judge {judge}: {e}"))
}

/// The first JSON object in a reply (judges wrap it in prose or fences).
fn json_in(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    serde_json::from_str(text.get(start..=end)?).ok()
}

fn clip(text: &str) -> String {
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_preference_that_survives_the_swap_counts() {
        assert_eq!(combine(Choice::A, Choice::B), Preference::Target);
        assert_eq!(combine(Choice::B, Choice::A), Preference::Reference);
        assert_eq!(combine(Choice::A, Choice::A), Preference::Tie, "always the first position: a bias, not a preference");
        assert_eq!(combine(Choice::B, Choice::B), Preference::Tie);
        assert_eq!(combine(Choice::Tie, Choice::B), Preference::Tie);
    }

    #[test]
    fn replies_are_read_through_prose_and_fences() {
        assert_eq!(choice("Sure! ```json\n{\"better\": \"B\", \"reason\": \"x\"}\n```").unwrap(), (Choice::B, "x".to_owned()));
        assert!(choice("A is better").is_err());
        assert_eq!(json_in("{\"score\": 7}").unwrap()["score"], 7);
    }
}
