//! Anthropic's Messages API: `x-api-key` and `anthropic-version` headers, requests translated
//! from the internal form (or an Anthropic client's own body sent as it came, with its
//! `anthropic-beta` header), answers and stream events translated back (`wire::anthropic`).
//! `overloaded_error` (529) and rate limits fail over like any 5xx and 429.

use super::http::{describe, sse_frames, Step, Upstream};
use super::{ChatReply, Frame, Header, Outgoing, ProviderError, UpstreamRequest};
use crate::secrets::Secret;
use crate::wire::anthropic::request::from_internal;
use crate::wire::anthropic::stream::Decoder;
use crate::wire::anthropic::message::to_completion;
use crate::wire::{sse_event, ClientApi, Decoded};
use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::Value;

/// The API version Sluice's translation is written against.
const VERSION: &str = "2023-06-01";

pub struct Anthropic {
    upstream: Upstream,
    messages_url: reqwest::Url,
    count_url: reqwest::Url,
    models_url: reqwest::Url,
}

impl Anthropic {
    /// `base_url` was validated with the config, so it parses.
    pub fn new(id: String, base_url: &str, key: Option<Secret>, missing_key_hint: Option<String>, client: reqwest::Client) -> Self {
        let base_url = base_url.trim_end_matches('/');
        let url = |path: &str| reqwest::Url::parse(&format!("{base_url}{path}")).expect("validated base_url");
        Anthropic { messages_url: url("/messages"), count_url: url("/messages/count_tokens"), models_url: url("/models"), upstream: Upstream { id, key, missing_key_hint, client } }
    }

    /// The Messages body for this call, without the `skip`ped fields, and the client headers
    /// that go with it.
    fn body<'a>(&self, request: UpstreamRequest<'a>, stream: bool, skip: &[&str]) -> Result<(Vec<u8>, &'a [Header]), ProviderError> {
        if let Some(native) = request.native.filter(|n| n.api == ClientApi::AnthropicMessages) {
            return Ok((Outgoing { body: &native.body, model: Some(request.model), skip, rename: None }.to_vec(), &native.headers));
        }
        let translatable = request.translatable(&self.upstream.id)?;
        let mut body = from_internal(&translatable, request.model).map_err(|e| ProviderError::Unsupported {
            provider: self.upstream.id.clone(),
            detail: format!("{} cannot be sent to `{}`: {}", e.path, self.upstream.id, e.message),
        })?;
        if stream {
            body.insert("stream".into(), Value::Bool(true));
        }
        Ok((Outgoing { body: &body, model: Some(request.model), skip, rename: None }.to_vec(), &[]))
    }

    fn post(&self, url: &reqwest::Url, body: Vec<u8>, headers: &[Header]) -> reqwest::RequestBuilder {
        let mut request = self
            .upstream
            .client()
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("anthropic-version", VERSION)
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
    }
}

fn api_key(request: reqwest::RequestBuilder, key: &str) -> reqwest::RequestBuilder {
    request.header("x-api-key", key)
}

impl super::Provider for Anthropic {
    fn id(&self) -> &str {
        &self.upstream.id
    }

    fn passes_through(&self, api: ClientApi) -> bool {
        api == ClientApi::AnthropicMessages
    }

    fn chat<'a>(&'a self, request: UpstreamRequest<'a>, stream: bool) -> BoxFuture<'a, Result<ChatReply, ProviderError>> {
        let post = self.body(request, stream, &[]).map(|(body, headers)| self.post(&self.messages_url, body, headers));
        async move {
            let response = self.upstream.send(post?, api_key).await?;
            if !stream {
                let bytes = self.upstream.read_answer(response).await?;
                let message: Value = serde_json::from_slice(&bytes).map_err(|e| self.upstream.protocol(format!("the answer is not JSON: {e}")))?;
                let completion = Bytes::from(to_completion(&message).to_string());
                return Ok(ChatReply::Complete { completion, native: Some(bytes) });
            }
            let mut decoder = Decoder::default();
            Ok(ChatReply::Stream(sse_frames(self.upstream.id.clone(), response, move |sse| {
                let Ok(data) = serde_json::from_str::<Value>(&sse.data) else {
                    return Step::Error(format!("an event that is not JSON: {}", sse.data));
                };
                let mut native = BytesMut::new();
                sse_event(&mut native, sse.event.as_deref().unwrap_or_else(|| data.get("type").and_then(Value::as_str).unwrap_or("message")), &data);
                let native = Some(native.freeze());
                match decoder.event(&data) {
                    Decoded::Chunks(chunks) => Step::Frame(Frame::translated(chunks, native)),
                    Decoded::Done(chunks) => Step::Done(Some(Frame::translated(chunks, native))),
                    Decoded::Error(e) => Step::Error(e),
                }
            })))
        }
        .boxed()
    }

    fn embeddings<'a>(&'a self, _request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<Bytes, ProviderError>> {
        futures::future::ready(Err(ProviderError::NoSuchApi { provider: self.upstream.id.clone(), what: "embeddings" })).boxed()
    }

    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        async move {
            let get = self.upstream.client().get(self.models_url.clone()).query(&[("limit", "1000")]).header("anthropic-version", VERSION);
            let list: Value = self.upstream.send(get, api_key).await?.json().await.map_err(|e| self.upstream.protocol(describe(&e)))?;
            Ok(list.get("data").and_then(Value::as_array).into_iter().flatten().filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned)).collect())
        }
        .boxed()
    }

    fn count_tokens<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<u64, ProviderError>> {
        // count_tokens takes the request without its generation settings.
        const SETTINGS: &[&str] = &["max_tokens", "stream", "temperature", "top_p", "top_k", "stop_sequences", "metadata", "service_tier"];
        let post = self.body(request, false, SETTINGS).map(|(body, headers)| self.post(&self.count_url, body, headers));
        async move {
            let answer: Value = self.upstream.send(post?, api_key).await?.json().await.map_err(|e| self.upstream.protocol(describe(&e)))?;
            answer.get("input_tokens").and_then(Value::as_u64).ok_or_else(|| self.upstream.protocol("count_tokens answered without input_tokens"))
        }
        .boxed()
    }
}
