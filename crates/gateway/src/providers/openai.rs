//! OpenAI and every OpenAI-compatible API (Groq, Mistral, DeepSeek, Together, Fireworks,
//! OpenRouter, xAI, Ollama, LM Studio, …): the internal form is theirs, so requests and
//! answers pass through unchanged. A request that came in through another client API is
//! refused when it carries what this API cannot express (see `NativeRequest`).

use super::http::{sse_frames, Step, Upstream};
use super::{ChatReply, Frame, ProviderError, UpstreamRequest};
use crate::secrets::Secret;
use crate::wire::ClientApi;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;

pub struct OpenAiCompatible {
    upstream: Upstream,
    base_url: String,
    /// Parsed once: URL parsing is a measurable share of a proxied call.
    chat_url: reqwest::Url,
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

fn bearer(request: reqwest::RequestBuilder, key: &str) -> reqwest::RequestBuilder {
    request.bearer_auth(key)
}

impl super::Provider for OpenAiCompatible {
    fn id(&self) -> &str {
        &self.upstream.id
    }

    fn api(&self) -> ClientApi {
        ClientApi::OpenaiChat
    }

    fn chat<'a>(&'a self, request: UpstreamRequest<'a>, stream: bool) -> BoxFuture<'a, Result<ChatReply, ProviderError>> {
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
