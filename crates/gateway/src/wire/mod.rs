//! The OpenAI wire format, which is Sluice's internal lingua franca: every provider adapter
//! speaks it to the rest of the engine. Parsing and writing SSE, folding a stream of chunks
//! into one completion, unfolding a completion into chunks, and reading `usage`.

mod accumulate;
pub mod anthropic;
pub mod gemini;
pub mod responses;
#[cfg(test)]
mod roundtrip;
mod replay;
mod sse;
mod usage;

pub use accumulate::ChunkAccumulator;
pub use replay::completion_to_chunks;
pub use sse::{sse_data, sse_event, SseDecoder, SseEvent, SSE_DONE};
pub use usage::{Usage, CACHE_WRITE_FIELD};

/// The API a client called Sluice through. Each converts into the one internal request (OpenAI
/// chat) at the edge and its answers back out of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientApi {
    /// `POST /v1/chat/completions`.
    #[default]
    OpenaiChat,
    /// `POST /v1/responses`.
    OpenaiResponses,
    /// `POST /v1/messages`.
    AnthropicMessages,
    /// `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`.
    Gemini,
}

impl ClientApi {
    pub const ALL: [ClientApi; 4] = [ClientApi::OpenaiChat, ClientApi::OpenaiResponses, ClientApi::AnthropicMessages, ClientApi::Gemini];

    /// By the name `as_str` gives.
    pub fn parse(name: &str) -> Option<ClientApi> {
        ClientApi::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientApi::OpenaiChat => "openai-chat",
            ClientApi::OpenaiResponses => "openai-responses",
            ClientApi::AnthropicMessages => "anthropic-messages",
            ClientApi::Gemini => "gemini",
        }
    }

    /// The API a path belongs to, for answers given before a handler runs (auth, pause).
    pub fn for_path(path: &str) -> ClientApi {
        if path.starts_with("/v1/messages") {
            ClientApi::AnthropicMessages
        } else if path.starts_with("/v1/responses") {
            ClientApi::OpenaiResponses
        } else if path.starts_with("/v1beta/") || (path.starts_with("/v1/models/") && path.contains(':')) {
            ClientApi::Gemini
        } else {
            ClientApi::OpenaiChat
        }
    }
}

/// What one upstream event of a native API amounts to in the internal form.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    /// Internal chunks (possibly none: pings, block boundaries).
    Chunks(Vec<serde_json::Value>),
    /// The answer is complete, with the event's last chunks.
    Done(Vec<serde_json::Value>),
    /// The upstream reported an error: the answer is cut.
    Error(String),
}

/// A client's field that a request cannot carry; `path` names it the way the client wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

/// A client's request in the internal form, and what that form could not carry.
pub struct Internal {
    pub body: serde_json::Map<String, serde_json::Value>,
    /// Field paths only an upstream of the client's own API can honour.
    pub untranslatable: Vec<String>,
}

/// A request in `api`'s own shape, in the internal form (`model` names the model for Gemini,
/// whose requests carry it in the URL).
pub fn to_internal(api: ClientApi, request: &serde_json::Map<String, serde_json::Value>, model: &str) -> Result<serde_json::Map<String, serde_json::Value>, FieldError> {
    match api {
        ClientApi::OpenaiChat => Ok(request.clone()),
        ClientApi::AnthropicMessages => anthropic::request::to_internal(request).map(|i| i.body),
        ClientApi::OpenaiResponses => responses::request::to_internal(request).map(|i| i.body),
        ClientApi::Gemini => gemini::request::to_internal(request, model).map(|i| i.body),
    }
}

/// A choice's or a tool call's `index` in a streamed chunk, when it is one Sluice keeps a slot
/// for. Answers are built in vectors by these indices; an upstream's `"index": 8e18` would
/// otherwise ask for exabytes (found by `fuzz.rs`). Real answers stay far below the bound
/// (OpenAI caps `n` at 128); parts past it are left out.
pub fn slot(index: u64) -> Option<usize> {
    const MAX: u64 = 1024;
    (index < MAX).then_some(index as usize)
}

/// A message's text: a string content, or its text parts joined by newlines (other parts add
/// nothing). What rules match on and compression ranks.
pub fn message_text(m: &serde_json::Value) -> std::borrow::Cow<'_, str> {
    use serde_json::Value;
    match m.get("content") {
        Some(Value::String(s)) => std::borrow::Cow::Borrowed(s),
        Some(Value::Array(parts)) => std::borrow::Cow::Owned(parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")),
        _ => std::borrow::Cow::Borrowed(""),
    }
}

/// A content's text when it holds nothing but text: a string, or text parts joined by
/// newlines; `None` with an image, a file or anything else in it.
pub fn plain_text(content: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => parts.iter().map(|p| (p["type"] == "text").then(|| p["text"].as_str()).flatten()).collect::<Option<Vec<&str>>>().map(|t| t.join("\n")),
        _ => None,
    }
}

/// Appends `items` to the last turn when it has `role` (APIs that want roles to alternate),
/// else starts a turn `{"role", field: items}`.
pub fn push_turn(turns: &mut Vec<serde_json::Value>, role: &str, field: &str, items: Vec<serde_json::Value>) {
    if let Some(list) = turns.last_mut().filter(|t| t["role"] == role).and_then(|t| t[field].as_array_mut()) {
        list.extend(items);
        return;
    }
    turns.push(serde_json::json!({ "role": role, field: items }));
}

/// The texts of an internal message's content (a string is one text), each with the part it
/// came from (`None` for a plain string); any other kind of part is refused, by its path.
pub fn texts<'a>(content: Option<&'a serde_json::Value>, path: &str) -> Result<Vec<(&'a str, Option<&'a serde_json::Value>)>, FieldError> {
    use serde_json::Value;
    match content {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![(s.as_str(), None)]),
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, p)| match p.get("text").and_then(Value::as_str) {
                Some(t) => Ok((t, Some(p))),
                None => Err(FieldError { path: format!("{path}.content[{j}]"), message: format!("{path}.content[{j}] must be a text part here") }),
            })
            .collect(),
        Some(other) => Err(FieldError { path: format!("{path}.content"), message: format!("{path}.content must be a string or an array of parts, not {}", type_name(other)) }),
    }
}

/// How an error message names a JSON value's type.
pub fn type_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
