//! What the semantic cache compares: the question a request asks, and the partition of
//! requests whose answers it may share.
//!
//! A hit may only come from a request that would get the same answer: the same route, system
//! prompt, tools, response format and other parameters, and the same sampling bucket. The
//! question is the last user turn; a follow-up ("and in Java?") carries the user turn before it,
//! and follow-ups and first turns never share a partition, so "and in Java?" after a question
//! about lists cannot match "and in Java?" after one about maps, nor a standalone question.

use super::super::cache_key;
use serde_json::{Map, Value};

/// The question of one request and where in the cache it may find an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SemanticQuery {
    /// Hex digest; equal only for requests that differ in nothing but their question.
    pub partition: String,
    /// The text embedded and verified: the last user turn, after the previous one if any.
    pub text: String,
}

/// Fields that do not change the answer's meaning, or that the partition handles itself.
const NOT_PARTITIONING: &[&str] = &["messages", "temperature", "seed"];

impl SemanticQuery {
    /// `None` for requests the semantic cache stays out of: no plain-text user question last,
    /// or a tool conversation (its answers depend on tool results, not on wording).
    pub fn from_request(route_identity: &str, embedder: &str, body: &Map<String, Value>) -> Option<SemanticQuery> {
        let messages = body.get("messages")?.as_array()?;
        let (last, earlier) = messages.split_last()?;
        if role(last) != "user" || messages.iter().any(|m| role(m) == "tool" || m.get("tool_calls").is_some()) {
            return None;
        }
        let question = text(last)?;
        let previous = earlier.iter().rev().find(|m| role(m) == "user").map(text);
        let follow_up = previous.is_some();
        let text = match previous {
            None => question,
            Some(None) => return None,
            Some(Some(previous)) => format!("{previous}\n{question}"),
        };
        let mut shape: Map<String, Value> = body.iter().filter(|(k, _)| !NOT_PARTITIONING.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
        let instructions: Vec<Value> = messages.iter().filter(|m| matches!(role(m), "system" | "developer")).cloned().collect();
        shape.insert("sluice_semantic".into(), Value::from(1));
        shape.insert("sluice_embedder".into(), Value::from(embedder));
        shape.insert("sluice_instructions".into(), Value::from(instructions));
        shape.insert("sluice_follow_up".into(), Value::from(follow_up));
        shape.insert("sluice_sampling".into(), Value::from(sampling_bucket(body)));
        let digest = cache_key(route_identity, &shape);
        let partition = crate::hex(&digest[..16]);
        Some(SemanticQuery { partition, text })
    }
}

/// Longest question kept for an entry that is not embedded: enough to recognise and search it.
const SHOWN_CHARS: usize = 500;

/// The last user turn's text parts, for the Cache page to show and search: every entry has one
/// (a semantic entry's is then replaced by the text it was embedded with), even where the
/// semantic cache stays out — tool conversations, images, texts past the model's window.
pub fn shown_question(body: &Map<String, Value>) -> Option<String> {
    let last = body.get("messages")?.as_array()?.iter().rev().find(|m| role(m) == "user")?;
    let text = match last.get("content")? {
        Value::String(s) => s.trim().to_owned(),
        Value::Array(parts) => parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n").trim().to_owned(),
        _ => return None,
    };
    match text.char_indices().nth(SHOWN_CHARS) {
        _ if text.is_empty() => None,
        Some((cut, _)) => Some(format!("{}…", &text[..cut])),
        None => Some(text),
    }
}

fn role(m: &Value) -> &str {
    m.get("role").and_then(Value::as_str).unwrap_or("")
}

/// A message's text: a string, or text parts only (an image makes it no plain question).
fn text(m: &Value) -> Option<String> {
    let text = crate::wire::plain_text(m.get("content")?)?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Greedy decoding and mild or default sampling give answers of different character.
fn sampling_bucket(body: &Map<String, Value>) -> &'static str {
    match body.get("temperature").and_then(Value::as_f64).unwrap_or(1.0) {
        t if t <= 0.0 => "greedy",
        t if t <= 0.5 => "low",
        _ => "default",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(v: Value) -> Option<SemanticQuery> {
        SemanticQuery::from_request("route", "minilm", v.as_object().unwrap())
    }

    fn ask(system: &str, turns: &[(&str, &str)], extra: Value) -> SemanticQuery {
        let mut messages = vec![json!({"role": "system", "content": system})];
        messages.extend(turns.iter().map(|(r, c)| json!({"role": r, "content": c})));
        let mut body = json!({"model": "m", "messages": messages});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        query(body).unwrap()
    }

    #[test]
    fn partitions_separate_what_changes_the_answer() {
        let base = ask("Be brief.", &[("user", "What is Rust?")], json!({}));
        assert_eq!(base.text, "What is Rust?");
        assert_eq!(base.partition, ask("Be brief.", &[("user", "Tell me about Rust")], json!({"seed": 3, "temperature": 0.9})).partition);
        assert_ne!(base.partition, ask("Be verbose.", &[("user", "What is Rust?")], json!({})).partition);
        assert_ne!(base.partition, ask("Be brief.", &[("user", "What is Rust?")], json!({"tools": [{"type": "function"}]})).partition);
        assert_ne!(base.partition, ask("Be brief.", &[("user", "What is Rust?")], json!({"temperature": 0})).partition);
        let other_route = SemanticQuery::from_request("other", "minilm", json!({"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is Rust?"}]}).as_object().unwrap());
        assert_ne!(base.partition, other_route.unwrap().partition);
    }

    #[test]
    fn follow_ups_carry_their_context_and_keep_apart_from_first_turns() {
        let lists = ask("", &[("user", "How do I reverse a list in Python?"), ("assistant", "Use reversed()."), ("user", "And in Java?")], json!({}));
        assert_eq!(lists.text, "How do I reverse a list in Python?\nAnd in Java?");
        let first = ask("", &[("user", "And in Java?")], json!({}));
        assert_ne!(lists.partition, first.partition);
    }

    #[test]
    fn tool_conversations_and_images_stay_out() {
        assert!(query(json!({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": []}, {"role": "tool", "content": "x"}, {"role": "user", "content": "ok?"}]})).is_none());
        assert!(query(json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]})).is_none());
        assert!(query(json!({"messages": [{"role": "assistant", "content": "hi"}]})).is_none());
        assert_eq!(query(json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]})).unwrap().text, "a\nb");
    }

    #[test]
    fn every_entry_shows_its_last_user_turn_even_where_semantic_caching_stays_out() {
        let shown = |v: Value| shown_question(v.as_object().unwrap());
        let tools = json!({"messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", "tool_calls": []}, {"role": "tool", "content": "x"}]});
        assert_eq!(shown(tools).as_deref(), Some("weather?"));
        let image = json!({"messages": [{"role": "user", "content": [{"type": "text", "text": " What is this? "}, {"type": "image_url", "image_url": {"url": "x"}}]}]});
        assert_eq!(shown(image).as_deref(), Some("What is this?"));
        let long = shown(json!({"messages": [{"role": "user", "content": "é".repeat(600)}]})).unwrap();
        assert_eq!(long.chars().count(), SHOWN_CHARS + 1, "cut on a character boundary, with an ellipsis");
        assert_eq!(shown(json!({"messages": [{"role": "system", "content": "hi"}]})), None);
    }
}
