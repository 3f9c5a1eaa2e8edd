//! OpenAI and every OpenAI-compatible API (Groq, Mistral, DeepSeek, Together, Fireworks,
//! OpenRouter, xAI, Ollama, LM Studio, …): the internal form is theirs, so requests and
//! answers pass through unchanged. A request that came in through another client API is
//! refused when it carries what this API cannot express (see `NativeRequest`). OpenAI's own
//! API also gets Responses clients' requests as they came, at `/responses`. Azure OpenAI is the
//! same API with the model (deployment) in the URL, an `api-version` and an `api-key` header.

use super::http::{sse_frames, Step, Upstream};
use super::{ChatReply, Chunk, Frame, Outgoing, ProviderError, UpstreamRequest};
use crate::secrets::Secret;
use crate::wire::responses::response as responses;
use crate::wire::{sse_event, ClientApi, Decoded};
use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;

pub struct OpenAiCompatible {
    upstream: Upstream,
    base_url: String,
    /// Parsed once: URL parsing is a measurable share of a proxied call.
    chat_url: reqwest::Url,
    responses_url: reqwest::Url,
    embeddings_url: reqwest::Url,
    flavor: Flavor,
}

/// Which OpenAI-shaped API this is.
#[derive(Debug, Clone, PartialEq)]
pub enum Flavor {
    /// Anything that speaks OpenAI's chat API.
    Compatible,
    /// OpenAI's own API: it wants `max_completion_tokens` (its reasoning models refuse
    /// `max_tokens`) and also answers the Responses API.
    Official,
    /// Azure OpenAI, which has OpenAI's models and wants `max_completion_tokens` too.
    Azure { api_version: String },
}

impl OpenAiCompatible {
    /// `missing_key_hint` is `Some` when this provider needs a key it does not have.
    /// `base_url` was validated with the config, so it parses.
    pub fn new(id: String, base_url: &str, key: Option<Secret>, missing_key_hint: Option<String>, client: reqwest::Client, flavor: Flavor) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let url = |path: &str| reqwest::Url::parse(&format!("{base_url}{path}")).expect("validated base_url");
        OpenAiCompatible {
            chat_url: url("/chat/completions"),
            responses_url: url("/responses"),
            embeddings_url: url("/embeddings"),
            upstream: Upstream { id, key, missing_key_hint, client },
            base_url,
            flavor,
        }
    }

    /// Where a call for `model` goes: the URLs parsed at start, or for Azure the model's
    /// deployment.
    fn url<'a>(&self, parsed: &'a reqwest::Url, model: &str, path: &str) -> Result<std::borrow::Cow<'a, reqwest::Url>, ProviderError> {
        let Flavor::Azure { api_version } = &self.flavor else { return Ok(std::borrow::Cow::Borrowed(parsed)) };
        let url = format!("{}/deployments/{model}{path}?api-version={api_version}", self.base_url);
        reqwest::Url::parse(&url).map(std::borrow::Cow::Owned).map_err(|e| self.upstream.protocol(format!("deployment `{model}` makes no valid URL: {e}")))
    }

    fn auth(&self) -> fn(reqwest::RequestBuilder, &str) -> reqwest::RequestBuilder {
        match self.flavor {
            Flavor::Azure { .. } => |r, key| r.header("api-key", key),
            _ => |r, key| r.bearer_auth(key),
        }
    }

    fn post(&self, url: &reqwest::Url, bytes: Vec<u8>) -> reqwest::RequestBuilder {
        self.upstream.client().post(url.clone()).header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes)
    }

    /// The body to send: the client's own when it spoke this API, else the internal form
    /// adjusted for this upstream.
    fn chat_body(&self, request: UpstreamRequest<'_>) -> Result<Vec<u8>, ProviderError> {
        let Some(native) = request.native else {
            return Ok(Outgoing::new(request.body, Some(request.model)).to_vec());
        };
        native.refuse_untranslatable(&self.upstream.id)?;
        let rename = (self.flavor != Flavor::Compatible).then_some(("max_tokens", "max_completion_tokens"));
        Ok(Outgoing { body: request.body, model: Some(request.model), skip: native.wishes, rename }.to_vec())
    }
}

impl OpenAiCompatible {
    /// A Responses client's own request, answered with OpenAI's own events (and their
    /// internal-form translation for the log, the price and the cache).
    async fn responses(&self, body: Vec<u8>, stream: bool) -> Result<ChatReply, ProviderError> {
        let response = self.upstream.send(self.post(&self.responses_url, body), self.auth()).await?;
        if !stream {
            let bytes = self.upstream.read_answer(response).await?;
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
                Decoded::Chunks(chunks) => Step::Frame(Frame::translated(chunks, native)),
                Decoded::Done(chunks) => Step::Done(Some(Frame::translated(chunks, native))),
                Decoded::Error(e) => Step::Error(e),
            }
        })))
    }
}

impl super::Provider for OpenAiCompatible {
    fn id(&self) -> &str {
        &self.upstream.id
    }

    fn passes_through(&self, api: ClientApi) -> bool {
        api == ClientApi::OpenaiChat || (self.flavor == Flavor::Official && api == ClientApi::OpenaiResponses)
    }

    fn chat<'a>(&'a self, request: UpstreamRequest<'a>, stream: bool) -> BoxFuture<'a, Result<ChatReply, ProviderError>> {
        if let Some(native) = request.native.filter(|n| self.flavor == Flavor::Official && n.api == ClientApi::OpenaiResponses) {
            let body = Outgoing::new(&native.body, Some(request.model)).to_vec();
            return self.responses(body, stream).boxed();
        }
        let post = self.chat_body(request).and_then(|body| Ok(self.post(&*self.url(&self.chat_url, request.model, "/chat/completions")?, body)));
        async move {
            let response = self.upstream.send(post?, self.auth()).await?;
            if !stream {
                let bytes = self.upstream.read_answer(response).await?;
                return Ok(ChatReply::Complete { completion: bytes, native: None });
            }
            Ok(ChatReply::Stream(sse_frames(self.upstream.id.clone(), response, |event| decode(&event.data))))
        }
        .boxed()
    }

    fn embeddings<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<Bytes, ProviderError>> {
        let body = Outgoing::new(request.body, Some(request.model)).to_vec();
        let post = self.url(&self.embeddings_url, request.model, "/embeddings").map(|url| self.post(&url, body));
        async move {
            let response = self.upstream.send(post?, self.auth()).await?;
            self.upstream.read_answer(response).await
        }
        .boxed()
    }

    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        async move {
            let mut get = self.upstream.client().get(format!("{}/models", self.base_url));
            if let Flavor::Azure { api_version } = &self.flavor {
                get = get.query(&[("api-version", api_version)]);
            }
            let response = self.upstream.send(get, self.auth()).await?;
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
    // Parsed here, once: the log, the price and the cache read it; the client gets the bytes.
    let value = serde_json::from_str(data).unwrap_or(Value::Null);
    Step::Frame(Frame { chunks: vec![Chunk { value, json: Some(Bytes::copy_from_slice(data.as_bytes())) }], native: None, ends: false })
}
