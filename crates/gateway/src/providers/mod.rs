//! Provider adapters behind one trait, one file per API family. Every adapter takes the
//! internal request (OpenAI chat, see `wire`) and answers in it: a native adapter (Anthropic)
//! translates the request on the way out and the answer — whole or event by event — on the way
//! back, so the rest of the engine never learns which API family answered.
//!
//! One exception keeps a same-API call lossless: a client that called Sluice through the
//! adapter's own API (Claude Code to an Anthropic target) has its original body sent as it
//! came, and each answer frame carries the upstream's own event beside its translation, which
//! the client then gets as it was sent.

mod anthropic;
mod gemini;
mod http;
mod openai;

pub use anthropic::Anthropic;
pub use gemini::Gemini;
pub use openai::{Flavor, OpenAiCompatible};

use crate::wire::ClientApi;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use futures::stream::BoxStream;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::time::Duration;

/// A client's request body addressed to one upstream model. Serializes as the body with
/// `model` replaced (see `Outgoing`).
#[derive(Clone, Copy)]
pub struct UpstreamRequest<'a> {
    pub body: &'a Map<String, Value>,
    pub model: &'a str,
    /// The client's own request, when it called through another API than the internal one.
    pub native: Option<&'a NativeRequest>,
}

impl<'a> UpstreamRequest<'a> {
    /// The internal body as an upstream of another API than the client's may get it.
    pub fn translatable(&self, provider: &str) -> Result<std::borrow::Cow<'a, Map<String, Value>>, ProviderError> {
        match self.native {
            Some(native) => native.translatable(self.body, provider),
            None => Ok(std::borrow::Cow::Borrowed(self.body)),
        }
    }
}

/// A header a client sent, for the upstream.
pub type Header = (::http::HeaderName, ::http::HeaderValue);

/// A client's request as it came, for an upstream of the same API family.
#[derive(Debug, Clone)]
pub struct NativeRequest {
    pub api: ClientApi,
    pub body: Map<String, Value>,
    /// Client headers a same-API upstream should see (`anthropic-beta`).
    pub headers: Vec<Header>,
    /// Fields the internal form could not carry: only a same-API upstream can serve the
    /// request; others refuse it, naming them.
    pub untranslatable: Vec<String>,
    /// Internal body fields that only ask the client's API for a way of working (extended
    /// thinking, safety settings): other APIs drop them.
    pub wishes: &'static [&'static str],
}

impl NativeRequest {
    /// Refuses, naming them, what the internal form could not carry: only a same-API
    /// upstream can serve the request.
    pub fn refuse_untranslatable(&self, provider: &str) -> Result<(), ProviderError> {
        if self.untranslatable.is_empty() {
            return Ok(());
        }
        Err(ProviderError::Unsupported {
            provider: provider.to_owned(),
            detail: format!(
                "{} cannot be sent to `{provider}`, whose API has no equivalent; remove it, or route this request to a provider of the client's own API",
                self.untranslatable.join(", ")
            ),
        })
    }

    /// The internal body as another API may get it: without the wishes, or refused, naming
    /// what it cannot carry.
    pub fn translatable<'a>(&self, body: &'a Map<String, Value>, provider: &str) -> Result<std::borrow::Cow<'a, Map<String, Value>>, ProviderError> {
        self.refuse_untranslatable(provider)?;
        if !self.wishes.iter().any(|w| body.contains_key(*w)) {
            return Ok(std::borrow::Cow::Borrowed(body));
        }
        Ok(std::borrow::Cow::Owned(body.iter().filter(|(k, _)| !self.wishes.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()))
    }
}

impl Serialize for UpstreamRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Outgoing::new(self.body, Some(self.model)).serialize(s)
    }
}

/// A JSON body as an upstream gets it, written without copying it: conversations can be large
/// and every attempt of a fallback chain would otherwise clone them. `model` replaces the
/// body's own; `None` writes no model at all (Gemini's goes in the URL). `skip`ped fields are
/// left out and `rename` gives one field another name.
#[derive(Clone, Copy)]
pub struct Outgoing<'a> {
    pub body: &'a Map<String, Value>,
    pub model: Option<&'a str>,
    pub skip: &'a [&'a str],
    pub rename: Option<(&'a str, &'a str)>,
}

impl<'a> Outgoing<'a> {
    pub fn new(body: &'a Map<String, Value>, model: Option<&'a str>) -> Self {
        Outgoing { body, model, skip: &[], rename: None }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a JSON map always serializes")
    }
}

impl Serialize for Outgoing<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(model) = self.model {
            map.serialize_entry("model", model)?;
        }
        for (k, v) in self.body.iter().filter(|(k, _)| k.as_str() != "model" && !self.skip.contains(&k.as_str())) {
            match self.rename {
                Some((from, to)) if k == from => map.serialize_entry(to, v)?,
                _ => map.serialize_entry(k, v)?,
            }
        }
        map.end()
    }
}

/// What an upstream answered to a chat request.
pub enum ChatReply {
    /// A whole `chat.completion` JSON body (internal form), and the upstream's own body when it
    /// was in another API's format.
    Complete { completion: Bytes, native: Option<Bytes> },
    /// The answer as it arrives, ending before `[DONE]` or its API's equivalent.
    Stream(FrameStream),
}

/// One upstream event: the `chat.completion.chunk`s it amounts to (internal form; none for
/// pings and block boundaries), and, from a native adapter, the event itself as SSE text for a
/// client of the same API.
#[derive(Debug, Clone)]
pub struct Frame {
    pub chunks: Vec<Chunk>,
    pub native: Option<Bytes>,
    /// The frame that completes the answer (a same-API client gets it only once the request
    /// is logged).
    pub ends: bool,
}

/// One internal chunk, parsed, with its JSON text when that is at hand already (an OpenAI
/// upstream's own bytes, a stored answer): a chunk is parsed once and written once at most.
/// Translated chunks carry `id`, `created` and `model` on the first chunk only; the edge writes
/// them into every chunk an OpenAI client gets.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub value: Value,
    pub json: Option<Bytes>,
}

impl Chunk {
    /// Its JSON text.
    pub fn json(&self) -> Bytes {
        self.json.clone().unwrap_or_else(|| Bytes::from(serde_json::to_vec(&self.value).expect("a JSON value serializes")))
    }
}

impl Frame {
    /// A native adapter's frame: translated chunks beside the upstream's own event.
    pub fn translated(chunks: Vec<Value>, native: Option<Bytes>) -> Frame {
        Frame { chunks: chunks.into_iter().map(|value| Chunk { value, json: None }).collect(), native, ends: false }
    }
}

pub type FrameStream = BoxStream<'static, Result<Frame, ProviderError>>;

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
    #[error("{detail}")]
    Unsupported { provider: String, detail: String },
    #[error("{provider} has no {what} API")]
    NoSuchApi { provider: String, what: &'static str },
}

impl ProviderError {
    /// Worth trying the next target: the upstream, not the request, is at fault.
    pub fn fails_over(&self) -> bool {
        match self {
            ProviderError::Connect { .. } | ProviderError::Timeout { .. } | ProviderError::StreamCut { .. } => true,
            ProviderError::Status { status, .. } => *status == 429 || *status >= 500,
            ProviderError::MissingKey { .. } => true,
            ProviderError::Protocol { .. } => true,
            // Another target may speak the client's API, or have the endpoint.
            ProviderError::Unsupported { .. } | ProviderError::NoSuchApi { .. } => true,
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
            ProviderError::Unsupported { .. } | ProviderError::NoSuchApi { .. } => 400,
            _ => 502,
        }
    }
}

/// One API family's adapter for one configured provider.
pub trait Provider: Send + Sync {
    fn id(&self) -> &str;

    /// Whether a client request of this API goes to this provider as it came, answered with
    /// the upstream's own body and frames (`Frame::native`).
    fn passes_through(&self, api: ClientApi) -> bool;

    /// Sends a chat request (OpenAI format, `model` already the upstream's name). Resolves
    /// when the answer starts: the whole body, or a stream whose items arrive as sent.
    fn chat<'a>(&'a self, request: UpstreamRequest<'a>, stream: bool) -> BoxFuture<'a, Result<ChatReply, ProviderError>>;

    /// `POST /embeddings`, OpenAI format both ways.
    fn embeddings<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<Bytes, ProviderError>>;

    /// The upstream's model ids.
    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>>;

    /// The upstream's own count of a request's input tokens, where its API has one.
    fn count_tokens<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<u64, ProviderError>> {
        let _ = request;
        futures::future::ready(Err(ProviderError::NoSuchApi { provider: self.id().to_owned(), what: "token counting" })).boxed()
    }
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
    fn outgoing_bodies_skip_and_rename_without_a_copy() {
        let body: Map<String, Value> = serde_json::from_str(r#"{"model": "fast", "max_tokens": 5, "thinking": {}, "x": 1}"#).unwrap();
        let out = Outgoing { body: &body, model: Some("gpt-5"), skip: &["thinking"], rename: Some(("max_tokens", "max_completion_tokens")) };
        assert_eq!(serde_json::from_slice::<Value>(&out.to_vec()).unwrap(), serde_json::json!({"model": "gpt-5", "max_completion_tokens": 5, "x": 1}));
        assert_eq!(serde_json::from_slice::<Value>(&Outgoing::new(&body, None).to_vec()).unwrap()["model"], Value::Null, "no model: the body's own is left out too");
    }

    #[test]
    fn upstream_request_replaces_the_model() {
        let body: Map<String, Value> = serde_json::from_str(r#"{"model": "fast", "messages": [], "x": 1}"#).unwrap();
        let out: Value = serde_json::to_value(UpstreamRequest { body: &body, model: "gpt-4o-mini", native: None }).unwrap();
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
