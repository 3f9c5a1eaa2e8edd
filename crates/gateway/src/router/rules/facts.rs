//! What rules look at, read once per request from the internal request and its headers.

use crate::wire::{message_text, ClientApi};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A value only the embedding gives (difficulty, intent): asked for when a rule reaches it.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal<T> {
    /// Not computed yet: the rule set must wait for the embedding to decide.
    Pending,
    /// No embedding model, or no text to embed: conditions on it do not hold.
    Unavailable(&'static str),
    Known(T),
}

pub struct Facts<'a> {
    pub model: &'a str,
    pub api: ClientApi,
    pub user_agent: &'a str,
    /// From `x-sluice-tags`, comma-separated.
    pub tags: Vec<&'a str>,
    /// Text length / 4: cheap, and as close as a rule's range needs.
    pub input_tokens: u64,
    pub tools: bool,
    pub images: bool,
    pub json_schema: bool,
    pub stream: bool,
    /// The last user message's text, trimmed; borrowed from the request where it can be, so
    /// a long prompt is not copied for every request.
    pub user_text: Cow<'a, str>,
    /// The system and developer messages' text.
    pub system_text: Cow<'a, str>,
    pub difficulty: Signal<f32>,
    /// The best-matching `[[intents]]` class, if any is close enough.
    pub intent: Signal<Option<crate::router::Intent>>,
    /// Spent share of a budget in its current period, by name.
    pub budget_share: &'a (dyn Fn(&str) -> f64 + Sync),
}

impl<'a> Facts<'a> {
    /// `stream` comes from the edge: Gemini says it in the URL, not the body.
    pub fn read(model: &'a str, api: ClientApi, body: &'a Map<String, Value>, stream: bool, user_agent: &'a str, tags: &'a str, budget_share: &'a (dyn Fn(&str) -> f64 + Sync)) -> Facts<'a> {
        let messages = body.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let role = |m: &Value| m.get("role").and_then(Value::as_str).unwrap_or("").to_owned();
        let mut chars = 0;
        let mut images = false;
        for m in messages {
            match m.get("content") {
                Some(Value::String(s)) => chars += s.len(),
                Some(Value::Array(parts)) => {
                    for p in parts {
                        match p.get("type").and_then(Value::as_str) {
                            Some("text") => chars += p.get("text").and_then(Value::as_str).map_or(0, str::len),
                            Some("image_url" | "input_image" | "image") => images = true,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let user_text = match messages.iter().rev().find(|m| role(m) == "user").map(message_text) {
            Some(Cow::Borrowed(s)) => Cow::Borrowed(s.trim()),
            Some(Cow::Owned(s)) => Cow::Owned(s.trim().to_owned()),
            None => Cow::Borrowed(""),
        };
        let mut system: Vec<Cow<str>> = messages.iter().filter(|m| matches!(role(m).as_str(), "system" | "developer")).map(message_text).collect();
        let system_text = if system.len() == 1 { system.pop().expect("one") } else { Cow::Owned(system.join("\n")) };
        let format = body.get("response_format").and_then(|f| f.get("type")).and_then(Value::as_str);
        Facts {
            model,
            api,
            user_agent,
            tags: tags.split(',').map(str::trim).filter(|t| !t.is_empty()).collect(),
            input_tokens: chars as u64 / 4,
            tools: body.get("tools").and_then(Value::as_array).is_some_and(|t| !t.is_empty()),
            images,
            json_schema: format == Some("json_schema"),
            stream,
            user_text,
            system_text,
            difficulty: Signal::Pending,
            intent: Signal::Pending,
            budget_share,
        }
    }
}

