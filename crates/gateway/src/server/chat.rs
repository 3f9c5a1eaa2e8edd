//! `POST /v1/chat/completions`, OpenAI's chat API, which is also the internal form: checks of
//! what a client can get wrong, with messages that name the field, then the pipeline.
//! Everything else passes through untouched for the upstream to judge.

use super::body::{parse_object, read_body};
use super::pipeline::{self, Client, Inbound};
use crate::server::error::ApiError;
use crate::wire::{type_name, ClientApi};
use crate::Engine;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Instant;

pub async fn chat_completions(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let limit = engine.runtime().config.server.max_body_bytes;
    let read = async {
        let raw = read_body(body, &headers, limit).await?;
        let body = parse_object(&raw)?;
        let params = validate(&body)?;
        let client = Client { include_usage: params.include_usage, ..Client::new(ClientApi::OpenaiChat) };
        Ok::<_, ApiError>(Inbound { client, body, native: None, model: params.model, stream: params.stream, raw, started })
    };
    match read.await {
        Ok(inbound) => pipeline::run(engine, &headers, inbound).await,
        Err(e) => e.into_response(),
    }
}

/// What Sluice itself needs from a chat request.
#[derive(Debug, Clone)]
pub struct ChatParams {
    pub model: String,
    pub stream: bool,
    pub include_usage: bool,
}

pub fn validate(body: &Map<String, Value>) -> Result<ChatParams, ApiError> {
    let model = match body.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() => m.clone(),
        Some(Value::String(_)) | None => return Err(ApiError::invalid_param("model", "`model` is required: a model name, a route name, or \"provider/model\"")),
        Some(other) => return Err(ApiError::invalid_param("model", format!("`model` must be a string, not {}", type_name(other)))),
    };
    let messages = match body.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => return Err(ApiError::invalid_param("messages", "`messages` must contain at least one message")),
        None => return Err(ApiError::invalid_param("messages", "`messages` is required: a list of {\"role\", \"content\"} objects")),
        Some(other) => return Err(ApiError::invalid_param("messages", format!("`messages` must be an array, not {}", type_name(other)))),
    };
    for (i, m) in messages.iter().enumerate() {
        let Some(obj) = m.as_object() else {
            return Err(ApiError::invalid_param(format!("messages[{i}]"), format!("messages[{i}] must be an object with `role` and `content`, not {}", type_name(m))));
        };
        if !obj.get("role").is_some_and(Value::is_string) {
            return Err(ApiError::invalid_param(format!("messages[{i}].role"), format!("messages[{i}].role must be a string such as \"user\"")));
        }
        match obj.get("content") {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(Value::Array(parts)) => {
                for (j, part) in parts.iter().enumerate() {
                    content_part(part).map_err(|(field, message)| {
                        let at = format!("messages[{i}].content[{j}]{field}");
                        ApiError::invalid_param(at.clone(), format!("{at} {message}"))
                    })?;
                }
            }
            Some(c) => return Err(ApiError::invalid_param(format!("messages[{i}].content"), format!("messages[{i}].content must be a string or an array of content parts, not {}", type_name(c)))),
        }
    }
    if let Some(tools) = optional(body, "tools", Value::as_array, "an array")? {
        for (i, tool) in tools.iter().enumerate() {
            if tool.get("type").and_then(Value::as_str) == Some("function") {
                let f = tool.get("function");
                if !f.and_then(|f| f.get("name")).is_some_and(Value::is_string) {
                    return Err(ApiError::invalid_param(format!("tools[{i}].function.name"), format!("tools[{i}].function.name is required: the function's name, a string")));
                }
                if let Some(p) = f.and_then(|f| f.get("parameters")).filter(|p| !p.is_object()) {
                    return Err(ApiError::invalid_param(format!("tools[{i}].function.parameters"), format!("tools[{i}].function.parameters must be a JSON Schema object, not {}", type_name(p))));
                }
            }
        }
    }
    let stream = optional(body, "stream", Value::as_bool, "a boolean")?.unwrap_or(false);
    optional(body, "temperature", Value::as_f64, "a number")?;
    optional(body, "top_p", Value::as_f64, "a number")?;
    for key in ["n", "max_tokens", "max_completion_tokens"] {
        optional(body, key, Value::as_u64, "a whole number ≥ 0")?;
    }
    let include_usage = match optional(body, "stream_options", Value::as_object, "an object")? {
        Some(o) => match o.get("include_usage") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(ApiError::invalid_param("stream_options.include_usage", format!("must be a boolean, not {}", type_name(other)))),
        },
        None => false,
    };
    Ok(ChatParams { model, stream, include_usage })
}

/// The shapes of the content parts Sluice and providers read; a part of another type passes
/// through for the upstream to judge. `Err` names the field (after the part's own path) and
/// what it must be. A malformed part would otherwise come back as a provider's 500.
fn content_part(part: &Value) -> Result<(), (&'static str, String)> {
    let Some(kind) = part.get("type").and_then(Value::as_str) else {
        return Err((".type", "is required: a content part is an object like {\"type\": \"text\", \"text\": \"…\"}".into()));
    };
    let string_at = |pointer: &str| part.pointer(pointer).and_then(Value::as_str);
    match kind {
        "text" if string_at("/text").is_none() => Err((".text", "must be a string".into())),
        "image_url" => {
            let url = string_at("/image_url/url").or_else(|| string_at("/image_url"));
            match url {
                Some(u) if ["https://", "http://", "data:"].iter().any(|p| u.starts_with(p)) => Ok(()),
                Some(_) => Err((".image_url.url", "must be an http(s) URL or a data: URL".into())),
                None => Err((".image_url.url", "is required: {\"image_url\": {\"url\": \"https://…\" or \"data:image/png;base64,…\"}}".into())),
            }
        }
        "input_audio" if string_at("/input_audio/data").is_none() || string_at("/input_audio/format").is_none() => {
            Err((".input_audio", "needs `data` (base64) and `format` (\"wav\" or \"mp3\")".into()))
        }
        _ => Ok(()),
    }
}

fn optional<'a, T>(body: &'a Map<String, Value>, key: &str, get: impl Fn(&'a Value) -> Option<T>, expected: &str) -> Result<Option<T>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => get(v).map(Some).ok_or_else(|| ApiError::invalid_param(key, format!("`{key}` must be {expected}, not {}", type_name(v)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<ChatParams, ApiError> {
        validate(v.as_object().unwrap())
    }

    #[test]
    fn names_the_bad_field() {
        let ok = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        assert!(check(ok).is_ok());
        assert_eq!(check(json!({"messages": [{"role": "user"}]})).unwrap_err().param.as_deref(), Some("model"));
        assert_eq!(check(json!({"model": 5, "messages": []})).unwrap_err().param.as_deref(), Some("model"));
        assert_eq!(check(json!({"model": "m", "messages": "hi"})).unwrap_err().param.as_deref(), Some("messages"));
        assert_eq!(check(json!({"model": "m", "messages": [{"content": "hi"}]})).unwrap_err().param.as_deref(), Some("messages[0].role"));
        assert_eq!(check(json!({"model": "m", "messages": [{"role": "user"}], "stream": "yes"})).unwrap_err().param.as_deref(), Some("stream"));
        assert_eq!(check(json!({"model": "m", "messages": [{"role": "user"}], "temperature": "hot"})).unwrap_err().param.as_deref(), Some("temperature"));
        let image = |part: Value| check(json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, part]}]}));
        assert!(image(json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}})).is_ok());
        assert_eq!(image(json!({"type": "image_url", "image_url": {"url": 7}})).unwrap_err().param.as_deref(), Some("messages[0].content[1].image_url.url"));
        assert_eq!(image(json!({"type": "image_url", "image_url": {"url": "file:///etc/passwd"}})).unwrap_err().param.as_deref(), Some("messages[0].content[1].image_url.url"));
        assert_eq!(image(json!({"image_url": {"url": "https://x"}})).unwrap_err().param.as_deref(), Some("messages[0].content[1].type"));
        assert_eq!(image(json!({"type": "text"})).unwrap_err().param.as_deref(), Some("messages[0].content[1].text"));
        assert!(image(json!({"type": "something-new", "x": 1})).is_ok(), "unknown parts pass through");
        let tools = |tool: Value| check(json!({"model": "m", "messages": [{"role": "user"}], "tools": [tool]}));
        assert_eq!(tools(json!({"type": "function", "function": {"parameters": {}}})).unwrap_err().param.as_deref(), Some("tools[0].function.name"));
        assert_eq!(tools(json!({"type": "function", "function": {"name": "f", "parameters": "{}"}})).unwrap_err().param.as_deref(), Some("tools[0].function.parameters"));
        let p = check(json!({"model": "m", "messages": [{"role": "user"}], "stream": true, "stream_options": {"include_usage": true}})).unwrap();
        assert!(p.stream && p.include_usage);
    }
}
