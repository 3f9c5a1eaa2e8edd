//! OpenAI and every OpenAI-compatible API (Groq, Mistral, DeepSeek, Together, Fireworks,
//! OpenRouter, xAI, Ollama, LM Studio, …): requests and responses pass through unchanged.

use super::{parse_retry_after, ChatReply, ProviderError, UpstreamRequest};
use crate::secrets::Secret;
use crate::wire::SseDecoder;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use serde_json::Value;
use std::collections::VecDeque;

/// Upstream error bodies kept for the client are capped: they are meant to be read, not stored.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub struct OpenAiCompatible {
    id: String,
    base_url: String,
    /// Parsed once: URL parsing is a measurable share of a proxied call.
    chat_url: reqwest::Url,
    embeddings_url: reqwest::Url,
    key: Option<Secret>,
    /// Said when a call needs a key and there is none.
    missing_key_hint: Option<String>,
    client: reqwest::Client,
}

impl OpenAiCompatible {
    /// `missing_key_hint` is `Some` when this provider needs a key it does not have.
    /// `base_url` was validated with the config, so it parses.
    pub fn new(id: String, base_url: &str, key: Option<Secret>, missing_key_hint: Option<String>, client: reqwest::Client) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let url = |path: &str| reqwest::Url::parse(&format!("{base_url}{path}")).expect("validated base_url");
        OpenAiCompatible { chat_url: url("/chat/completions"), embeddings_url: url("/embeddings"), id, base_url, key, missing_key_hint, client }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, ProviderError> {
        if let Some(hint) = &self.missing_key_hint {
            return Err(ProviderError::MissingKey { provider: self.id.clone(), hint: hint.clone() });
        }
        let request = match &self.key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        };
        let response = request.send().await.map_err(|e| ProviderError::Connect { provider: self.id.clone(), detail: describe(&e) })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(Ok(piece)) = stream.next().await {
            body.extend_from_slice(&piece);
            if body.len() > MAX_ERROR_BODY {
                body.truncate(MAX_ERROR_BODY);
                break;
            }
        }
        let text = String::from_utf8_lossy(&body);
        let body = Bytes::from(match &self.key {
            Some(key) => key.redact(&text),
            None => text.into_owned(),
        });
        Err(ProviderError::Status { provider: self.id.clone(), status, body, retry_after })
    }

    fn post(&self, url: &reqwest::Url, request: UpstreamRequest<'_>) -> reqwest::RequestBuilder {
        let bytes = serde_json::to_vec(&request).expect("a JSON map always serializes");
        self.client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes)
    }
}

/// reqwest's Display repeats the URL; the cause chain says what actually went wrong.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_connect() { "connection failed".to_owned() } else if e.is_timeout() { "timed out".to_owned() } else { "request failed".to_owned() };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl super::Provider for OpenAiCompatible {
    fn id(&self) -> &str {
        &self.id
    }

    fn chat<'a>(&'a self, request: UpstreamRequest<'a>, stream: bool) -> BoxFuture<'a, Result<ChatReply, ProviderError>> {
        let post = self.post(&self.chat_url, request);
        async move {
            let response = self.send(post).await?;
            if !stream {
                let bytes = response.bytes().await.map_err(|e| ProviderError::StreamCut { provider: self.id.clone(), detail: describe(&e) })?;
                return Ok(ChatReply::Complete(bytes));
            }
            Ok(ChatReply::Stream(sse_chunks(self.id.clone(), response)))
        }
        .boxed()
    }

    fn embeddings<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<Bytes, ProviderError>> {
        let post = self.post(&self.embeddings_url, request);
        async move {
            let response = self.send(post).await?;
            response.bytes().await.map_err(|e| ProviderError::StreamCut { provider: self.id.clone(), detail: describe(&e) })
        }
        .boxed()
    }

    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        async move {
            let response = self.send(self.client.get(format!("{}/models", self.base_url))).await?;
            let list: Value = response.json().await.map_err(|e| ProviderError::Protocol { provider: self.id.clone(), detail: describe(&e) })?;
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

/// Turns an SSE response into chunk payloads. The stream ends cleanly only at `[DONE]`; an
/// upstream that closes without it, or sends an `error` event, yields an error item.
fn sse_chunks(provider: String, response: reqwest::Response) -> super::ChunkStream {
    struct State {
        body: futures::stream::BoxStream<'static, reqwest::Result<Bytes>>,
        decoder: SseDecoder,
        pending: VecDeque<Result<Bytes, ProviderError>>,
        /// Nothing more is read once `[DONE]`, an error event or the end arrived.
        finished: bool,
        provider: String,
    }
    impl State {
        fn cut(&self, detail: String) -> ProviderError {
            ProviderError::StreamCut { provider: self.provider.clone(), detail }
        }
        fn take_event(&mut self, data: &str) {
            match classify(data) {
                Event::Done => self.finished = true,
                Event::Chunk => self.pending.push_back(Ok(Bytes::copy_from_slice(data.as_bytes()))),
                Event::Error(detail) => {
                    let e = self.cut(detail);
                    self.pending.push_back(Err(e));
                    self.finished = true;
                }
            }
        }
    }
    let state = State { body: response.bytes_stream().boxed(), decoder: SseDecoder::default(), pending: VecDeque::new(), finished: false, provider };
    futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(item) = s.pending.pop_front() {
                return Some((item, s));
            }
            if s.finished {
                return None;
            }
            match s.body.next().await {
                Some(Ok(bytes)) => {
                    for event in s.decoder.push(&bytes) {
                        if !s.finished {
                            s.take_event(&event.data);
                        }
                    }
                }
                Some(Err(e)) => {
                    let e = s.cut(describe(&e));
                    s.pending.push_back(Err(e));
                    s.finished = true;
                }
                None => {
                    if let Some(event) = s.decoder.finish() {
                        s.take_event(&event.data);
                    }
                    if !s.finished {
                        let e = s.cut("the connection closed before [DONE]".into());
                        s.pending.push_back(Err(e));
                        s.finished = true;
                    }
                }
            }
        }
    })
    .boxed()
}

enum Event {
    Chunk,
    Done,
    Error(String),
}

fn classify(data: &str) -> Event {
    if data.trim() == "[DONE]" {
        return Event::Done;
    }
    if data.starts_with("{\"error\"") {
        let message = serde_json::from_str::<Value>(data)
            .ok()
            .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| data.to_owned());
        return Event::Error(format!("upstream error event: {message}"));
    }
    Event::Chunk
}
