//! OpenAI and every OpenAI-compatible API (Groq, Mistral, DeepSeek, Together, Fireworks,
//! OpenRouter, xAI, Ollama, LM Studio, …): the internal form is theirs, so requests and
//! answers pass through unchanged. A request that came in through another client API is
//! refused when it carries what this API cannot express (see `NativeRequest`). OpenAI's own
//! API also gets Responses clients' requests as they came, at `/responses`.

use super::http::{sse_frames, Step, Upstream};
use super::{ChatReply, Frame, ProviderError, UpstreamRequest};
use crate::secrets::Secret;
use crate::wire::responses::response as responses;
use crate::wire::{sse_event, ClientApi, Decoded};
use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::{Map, Value};

pub struct OpenAiCompatible {
    upstream: Upstream,
    base_url: String,
    /// Parsed once: URL parsing is a measurable share of a proxied call.
    chat_url: reqwest::Url,
    responses_url: reqwest::Url,
    embeddings_url: reqwest::Url,
    /// OpenAI's own API, which wants `max_completion_tokens` (its reasoning models refuse
    /// `max_tokens`); other compatible APIs keep the older name.
    official: bool,
}

impl OpenAiCompatible {
    /// `missing_key_hint` is `Some` when this provider needs a key it does not have.
    /// `base_url` was validated with the config, so it parses.
    pub fn new(id: String, base_url: &str, key: Option<Secret>, missing_key_hint: Option<String>, client: reqwest::Client, official: bool) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let url = |path: &str| reqwest::Url::parse(&format!("{base_url}{path}")).expect("validated base_url");
        OpenAiCompatible {
            chat_url: url("/chat/completions"),
            responses_url: url("/responses"),
            embeddings_url: url("/embeddings"),
            upstream: Upstream { id, key, missing_key_hint, client },
            base_url,
            official,
        }
    }

    fn post(&self, url: &reqwest::Url, bytes: Vec<u8>) -> reqwest::RequestBuilder {
        self.upstream.client.post(url.clone()).header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes)
    }

    /// The body to send: the client's own when it spoke this API, else the internal form
    /// adjusted for this upstream.
    fn chat_body(&self, request: UpstreamRequest<'_>) -> Result<Vec<u8>, ProviderError> {
        let Some(native) = request.native else {
            return Ok(serde_json::to_vec(&request).expect("a JSON map always serializes"));
        };
        let mut body = native.translatable(request.body, &self.upstream.id)?.into_owned();
        body.insert("model".into(), Value::from(request.model));
        if self.official {
            if let Some(max) = body.remove("max_tokens") {
                body.insert("max_completion_tokens".into(), max);
            }
        }
        Ok(serde_json::to_vec(&body).expect("a JSON map always serializes"))
    }
}

impl OpenAiCompatible {
    /// A Responses client's own request, answered with OpenAI's own events (and their
    /// internal-form translation for the log, the price and the cache).
    async fn responses(&self, body: Map<String, Value>, stream: bool) -> Result<ChatReply, ProviderError> {
        let response = self.upstream.send(self.post(&self.responses_url, serde_json::to_vec(&body).expect("a JSON map always serializes")), bearer).await?;
        if !stream {
            let bytes = response.bytes().await.map_err(|e| self.upstream.cut(&e))?;
            let answer: Value = serde_json::from_slice(&bytes).map_err(|e| self.upstream.protocol(format!("the answer is not JSON: {e}")))?;
            return Ok(ChatReply::Complete { completion: Bytes::from(responses::to_completion(&answer).to_string()), native: Some(bytes) });
        }
        let mut decoder = responses::Decoder::default();
        Ok(ChatReply::Stream(sse_frames(self.upstream.id.clone(), response, move |sse| {
            let Ok(data) = serde_json::from_str::<Value>(&sse.data) else {
                return Step::Error(format!("an event that is not JSON: {}", sse.data));
            };
            let mut native = BytesMut::new();
            sse_event(&mut native, data.get("type").and_then(Value::as_str).unwrap_or("message"), &data);
            let native = Some(native.freeze());
            match decoder.event(&data) {
                Decoded::Chunks(chunks) => Step::Frame(Frame::new(&chunks, native)),
                Decoded::Done(chunks) => Step::Done(Some(Frame::new(&chunks, native))),
                Decoded::Error(e) => Step::Error(e),
            }
        })))
    }
}

fn bearer(request: reqwest::RequestBuilder, key: &str) -> reqwest::RequestBuilder {
    request.bearer_auth(key)
}

impl super::Provider for OpenAiCompatible {
    fn id(&self) -> &str {
        &self.upstream.id
    }

    fn passes_through(&self, api: ClientApi) -> bool {
        api == ClientApi::OpenaiChat || (self.official && api == ClientApi::OpenaiResponses)
    }

    fn chat<'a>(&'a self, request: UpstreamRequest<'a>, stream: bool) -> BoxFuture<'a, Result<ChatReply, ProviderError>> {
        if let Some(native) = request.native.filter(|n| self.official && n.api == ClientApi::OpenaiResponses) {
            let mut body = native.body.clone();
            body.insert("model".into(), Value::from(request.model));
            return self.responses(body, stream).boxed();
        }
        let body = self.chat_body(request);
        async move {
            let response = self.upstream.send(self.post(&self.chat_url, body?), bearer).await?;
            if !stream {
                let bytes = response.bytes().await.map_err(|e| self.upstream.cut(&e))?;
                return Ok(ChatReply::Complete { completion: bytes, native: None });
            }
            Ok(ChatReply::Stream(sse_frames(self.upstream.id.clone(), response, |event| decode(&event.data))))
        }
        .boxed()
    }

    fn embeddings<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<Bytes, ProviderError>> {
        let post = self.post(&self.embeddings_url, serde_json::to_vec(&request).expect("a JSON map always serializes"));
        async move {
            let response = self.upstream.send(post, bearer).await?;
            response.bytes().await.map_err(|e| self.upstream.cut(&e))
        }
        .boxed()
    }

    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        async move {
            let response = self.upstream.send(self.upstream.client.get(format!("{}/models", self.base_url)), bearer).await?;
            let list: Value = response.json().await.map_err(|e| self.upstream.protocol(super::http::describe(&e)))?;
            Ok(list
                .get("data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
                .collect())
        }
        .boxed()
    }
}

/// One `data:` payload: a chunk, the end, or an error object.
fn decode(data: &str) -> Step {
    if data.trim() == "[DONE]" {
        return Step::Done(None);
    }
    if data.starts_with("{\"error\"") {
        let message = serde_json::from_str::<Value>(data)
            .ok()
            .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| data.to_owned());
        return Step::Error(message);
    }
    Step::Frame(Frame { chunks: vec![Bytes::copy_from_slice(data.as_bytes())], native: None, ends: false })
}
