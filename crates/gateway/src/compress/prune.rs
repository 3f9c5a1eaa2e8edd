//! Pruning a conversation: the system prompt, pinned messages and the latest messages always
//! stay; earlier exchanges stay by relevance to the latest user message (BM25) while they fit
//! the budget; everything kept stays in its order. An exchange is a user message with the
//! replies after it (assistant turns, tool calls and their results), kept or dropped whole: a
//! question keeps its answer and a tool result its call. A message holding `<sluice:pin>` is
//! pinned (the marker is not sent).

use bm25::{EmbedderBuilder, Language, Scorer};
use serde_json::{json, Value};

pub const PIN: &str = "<sluice:pin>";

/// A run of messages kept or dropped together.
struct Unit {
    range: std::ops::Range<usize>,
    tokens: u32,
    fixed: bool,
    system: bool,
}

#[derive(Debug, PartialEq)]
pub struct Pruned {
    pub messages: Vec<Value>,
    pub before: u32,
    pub after: u32,
    /// Indices of the messages dropped.
    pub dropped: Vec<usize>,
}

/// The text of a message: its text parts and its tool calls' arguments.
pub fn text_of(m: &Value) -> String {
    let mut out = crate::wire::message_text(m).into_owned();
    for call in m["tool_calls"].as_array().into_iter().flatten() {
        out.push_str(call.pointer("/function/arguments").and_then(Value::as_str).unwrap_or(""));
    }
    out
}

/// `messages` (with each one's `tokens`) cut to about `budget` tokens (`None` when nothing
/// could be dropped).
pub fn prune(messages: &[Value], tokens: &[u32], recent: usize, budget: impl Fn(u32) -> u32) -> Option<Pruned> {
    let texts: Vec<String> = messages.iter().map(text_of).collect();
    let before: u32 = tokens.iter().sum();
    let question = messages.iter().rposition(|m| m["role"] == "user").map(|i| texts[i].as_str())?;
    let first_recent = messages.len().saturating_sub(recent);
    let mut units: Vec<Unit> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or("");
        let system = matches!(role, "system" | "developer");
        let fixed = i >= first_recent || system || texts[i].contains(PIN);
        // Replies join the exchange of the user message before them.
        match units.last_mut() {
            Some(u) if !system && role != "user" && !u.system => {
                u.range.end = i + 1;
                u.tokens += tokens[i];
                u.fixed |= fixed;
            }
            _ => units.push(Unit { range: i..i + 1, tokens: tokens[i], fixed, system }),
        }
    }
    let budget = budget(before);
    let mut used: u32 = units.iter().filter(|u| u.fixed).map(|u| u.tokens).sum();
    let candidates: Vec<usize> = (0..units.len()).filter(|&u| !units[u].fixed).collect();
    if candidates.is_empty() {
        return None;
    }
    let unit_texts: Vec<String> = candidates.iter().map(|&u| units[u].range.clone().map(|i| texts[i].as_str()).collect::<Vec<_>>().join("\n")).collect();
    let refs: Vec<&str> = unit_texts.iter().map(String::as_str).collect();
    let lexical = EmbedderBuilder::<u32>::with_fit_to_corpus(Language::English, &refs).build();
    let mut scorer = Scorer::new();
    for (n, t) in refs.iter().enumerate() {
        scorer.upsert(&n, lexical.embed(t));
    }
    let q = lexical.embed(question);
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    // Best first; among equals, the later turn (closer to now).
    let score = |n: usize| scorer.score(&n, &q).unwrap_or(0.0);
    order.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(b.cmp(&a)));
    let mut keep = vec![false; units.len()];
    for u in 0..units.len() {
        keep[u] = units[u].fixed;
    }
    for n in order {
        let u = candidates[n];
        if used + units[u].tokens <= budget {
            keep[u] = true;
            used += units[u].tokens;
        }
    }
    let dropped: Vec<usize> = units.iter().zip(&keep).filter(|(_, k)| !**k).flat_map(|(u, _)| u.range.clone()).collect();
    if dropped.is_empty() {
        return None;
    }
    let messages: Vec<Value> = messages.iter().enumerate().filter(|(i, _)| !dropped.contains(i)).map(|(_, m)| unpin(m)).collect();
    Some(Pruned { messages, before, after: used, dropped })
}

/// The message without the pin marker.
fn unpin(m: &Value) -> Value {
    match &m["content"] {
        Value::String(s) if s.contains(PIN) => {
            let mut m = m.clone();
            m["content"] = json!(s.replace(PIN, "").trim());
            m
        }
        _ => m.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: &str, text: &str) -> Value {
        json!({ "role": role, "content": text })
    }

    #[test]
    fn keeps_the_relevant_exchange_and_drops_a_tool_exchange_whole() {
        let filler = "words about the weather and the harvest festival in the valley ".repeat(8);
        let messages = vec![
            turn("system", "You are helpful."),
            turn("user", "What is the capital of Peru? It is Lima, remember that."),
            turn("assistant", "Lima is the capital of Peru."),
            turn("user", "What is the weather in Oslo?"),
            json!({ "role": "assistant", "content": null, "tool_calls": [{ "id": "c1", "type": "function", "function": { "name": "weather", "arguments": "{\"city\": \"Oslo\"}" } }] }),
            json!({ "role": "tool", "tool_call_id": "c1", "content": filler }),
            turn("assistant", "It is cold in Oslo."),
            turn("user", "<sluice:pin>Always answer in French."),
            turn("assistant", "D'accord."),
            turn("user", "Thanks for all of that."),
            turn("assistant", "De rien."),
            turn("user", "Which capital did I ask about, Peru's?"),
        ];
        let tokens: Vec<u32> = messages.iter().map(|m| crate::pricing::count_tokens(&text_of(m)) as u32).collect();
        let pruned = prune(&messages, &tokens, 2, |total| total - 50).expect("something to drop");
        assert_eq!(pruned.dropped, [3, 4, 5, 6], "the weather exchange goes whole: question, call, result, answer");
        assert_eq!(pruned.messages[1]["content"], "What is the capital of Peru? It is Lima, remember that.");
        assert_eq!(pruned.messages[3]["content"], "Always answer in French.", "pinned, the marker not sent");
        assert_eq!(pruned.messages.last().unwrap()["content"], "Which capital did I ask about, Peru's?");
        assert!(pruned.after <= pruned.before - 50);
    }
}
