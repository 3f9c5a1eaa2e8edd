//! Provider adapters behind one trait. Every adapter takes and returns the OpenAI wire format
//! (see `wire`): a native adapter (Anthropic, Gemini) translates requests on the way out and
//! responses — whole or event by event — on the way back, so the rest of the engine never
//! learns which API family answered.

mod openai;

pub use openai::OpenAiCompatible;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::time::Duration;

/// A client's request body addressed to one upstream model. Serializes as the body with
/// `model` replaced, without copying the body: conversations can be large and every attempt of
/// a fallback chain would otherwise clone them.
#[derive(Clone, Copy)]
pub struct UpstreamRequest<'a> {
    pub body: &'a Map<String, Value>,
    pub model: &'a str,
}

impl Serialize for UpstreamRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let others = self.body.iter().filter(|(k, _)| k.as_str() != "model");
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("model", self.model)?;
        for (k, v) in others {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// What an upstream answered to a chat request.
pub enum ChatReply {
    /// A whole `chat.completion` JSON body, as the upstream sent it (OpenAI format).
    Complete(Bytes),
    /// `chat.completion.chunk` JSON payloads, one per item, ending before `[DONE]`.
    Stream(ChunkStream),
}

pub type ChunkStream = BoxStream<'static, Result<Bytes, ProviderError>>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    #[error("cannot reach {provider}: {detail}")]
    Connect { provider: String, detail: String },
    #[error("{provider} answered {status}")]
    Status { provider: String, status: u16, body: Bytes, retry_after: Option<Duration> },
    #[error("no API key for provider `{provider}`: {hint}")]
    MissingKey { provider: String, hint: String },
    #[error("{provider} sent a response Sluice cannot read: {detail}")]
    Protocol { provider: String, detail: String },
    #[error("{provider} broke off the stream: {detail}")]
    StreamCut { provider: String, detail: String },
    #[error("{provider} did not start answering within {secs} s")]
    Timeout { provider: String, secs: u64 },
}

impl ProviderError {
    /// Worth trying the next target: the upstream, not the request, is at fault.
    pub fn fails_over(&self) -> bool {
        match self {
            ProviderError::Connect { .. } | ProviderError::Timeout { .. } | ProviderError::StreamCut { .. } => true,
            ProviderError::Status { status, .. } => *status == 429 || *status >= 500,
            ProviderError::MissingKey { .. } => true,
            ProviderError::Protocol { .. } => true,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status the client gets when this is the final error.
    pub fn client_status(&self) -> u16 {
        match self {
            ProviderError::Status { status, .. } => *status,
            ProviderError::Timeout { .. } => 504,
            ProviderError::MissingKey { .. } => 401,
            _ => 502,
        }
    }
}

/// One API family's adapter for one configured provider.
pub trait Provider: Send + Sync {
    fn id(&self) -> &str;

    /// Sends a chat request (OpenAI format, `model` already the upstream's name). Resolves
    /// when the answer starts: the whole body, or a stream whose items arrive as sent.
    fn chat<'a>(&'a self, request: UpstreamRequest<'a>, stream: bool) -> BoxFuture<'a, Result<ChatReply, ProviderError>>;

    /// `POST /embeddings`, OpenAI format both ways.
    fn embeddings<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<Bytes, ProviderError>>;

    /// The upstream's model ids.
    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>>;
}

/// Parses a `Retry-After` header: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_request_replaces_the_model() {
        let body: Map<String, Value> = serde_json::from_str(r#"{"model": "fast", "messages": [], "x": 1}"#).unwrap();
        let out: Value = serde_json::to_value(UpstreamRequest { body: &body, model: "gpt-4o-mini" }).unwrap();
        assert_eq!(out, serde_json::json!({"model": "gpt-4o-mini", "messages": [], "x": 1}));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
