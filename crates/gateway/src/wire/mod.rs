//! The OpenAI wire format, which is Sluice's internal lingua franca: every provider adapter
//! speaks it to the rest of the engine. Parsing and writing SSE, folding a stream of chunks
//! into one completion, unfolding a completion into chunks, and reading `usage`.

mod accumulate;
pub mod anthropic;
mod replay;
mod sse;
mod usage;

pub use accumulate::ChunkAccumulator;
pub use replay::completion_to_chunks;
pub use sse::{sse_data, SseDecoder, SseEvent, SSE_DONE};
pub use usage::{Usage, CACHE_WRITE_FIELD};

/// The API a client called Sluice through. Each converts into the one internal request (OpenAI
/// chat) at the edge and its answers back out of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientApi {
    /// `POST /v1/chat/completions`.
    #[default]
    OpenaiChat,
    /// `POST /v1/messages`.
    AnthropicMessages,
}

impl ClientApi {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientApi::OpenaiChat => "openai-chat",
            ClientApi::AnthropicMessages => "anthropic-messages",
        }
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
