//! Google's Gemini API: `models/{model}:generateContent` and `:streamGenerateContent?alt=sse`
//! with the key in `x-goog-api-key`; requests translated from the internal form (or a Gemini
//! client's own body sent as it came), answers and stream responses translated back
//! (`wire::gemini`). Embeddings go through `batchEmbedContents`.

use super::http::{describe, sse_frames, Step, Upstream};
use super::{ChatReply, Frame, ProviderError, UpstreamRequest};
use crate::secrets::Secret;
use crate::wire::gemini::request::from_internal;
use crate::wire::gemini::response::{sse as sse_response, to_completion, Decoder};
use crate::wire::{ClientApi, Decoded};
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

pub struct Gemini {
    upstream: Upstream,
    base_url: String,
}

impl Gemini {
    pub fn new(id: String, base_url: &str, key: Option<Secret>, missing_key_hint: Option<String>, client: reqwest::Client) -> Self {
        Gemini { base_url: base_url.trim_end_matches('/').to_owned(), upstream: Upstream { id, key, missing_key_hint, client } }
    }

    /// `models/{model}:{method}`; model names may hold slashes (tuned models), kept as they are.
    fn url(&self, model: &str, method: &str) -> Result<reqwest::Url, ProviderError> {
        let model = model.strip_prefix("models/").unwrap_or(model);
        reqwest::Url::parse(&format!("{}/models/{model}:{method}", self.base_url)).map_err(|e| self.upstream.protocol(format!("model `{model}` makes no valid URL: {e}")))
    }

    /// The client's own body (borrowed, not copied) or the internal one translated.
    fn body<'a>(&self, request: UpstreamRequest<'a>) -> Result<Cow<'a, Map<String, Value>>, ProviderError> {
        if let Some(native) = request.native.filter(|n| n.api == ClientApi::Gemini) {
            return Ok(Cow::Borrowed(&native.body));
        }
        let translatable = request.translatable(&self.upstream.id)?;
        let translated = from_internal(&translatable).map_err(|e| ProviderError::Unsupported {
            provider: self.upstream.id.clone(),
            detail: format!("{} cannot be sent to `{}`: {}", e.path, self.upstream.id, e.message),
        })?;
        Ok(Cow::Owned(translated))
    }

    fn post(&self, url: reqwest::Url, body: &impl serde::Serialize) -> reqwest::RequestBuilder {
        self.upstream.client().post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(serde_json::to_vec(body).expect("JSON serializes"))
    }
}

fn api_key(request: reqwest::RequestBuilder, key: &str) -> reqwest::RequestBuilder {
    request.header("x-goog-api-key", key)
}

impl super::Provider for Gemini {
    fn id(&self) -> &str {
        &self.upstream.id
    }

    fn passes_through(&self, api: ClientApi) -> bool {
        api == ClientApi::Gemini
    }

    fn chat<'a>(&'a self, request: UpstreamRequest<'a>, stream: bool) -> BoxFuture<'a, Result<ChatReply, ProviderError>> {
        let method = if stream { "streamGenerateContent" } else { "generateContent" };
        let post = self.body(request).and_then(|body| {
            let mut url = self.url(request.model, method)?;
            if stream {
                url.set_query(Some("alt=sse"));
            }
            Ok(self.post(url, &body))
        });
        async move {
            let response = self.upstream.send(post?, api_key).await?;
            if !stream {
                let bytes = self.upstream.read_answer(response).await?;
                let answer: Value = serde_json::from_slice(&bytes).map_err(|e| self.upstream.protocol(format!("the answer is not JSON: {e}")))?;
                return Ok(ChatReply::Complete { completion: Bytes::from(to_completion(&answer).to_string()), native: Some(bytes) });
            }
            let mut decoder = Decoder::default();
            Ok(ChatReply::Stream(sse_frames(self.upstream.id.clone(), response, move |sse| {
                let Ok(data) = serde_json::from_str::<Value>(&sse.data) else {
                    return Step::Error(format!("an event that is not JSON: {}", sse.data));
                };
                let native = Some(sse_response(&data));
                match decoder.event(&data) {
                    Decoded::Chunks(chunks) => Step::Frame(Frame::translated(chunks, native)),
                    Decoded::Done(chunks) => Step::Done(Some(Frame::translated(chunks, native))),
                    Decoded::Error(e) => Step::Error(e),
                }
            })))
        }
        .boxed()
    }

    fn embeddings<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<Bytes, ProviderError>> {
        let texts: Vec<String> = match request.body.get("input") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect(),
            _ => Vec::new(),
        };
        let model = request.model.to_owned();
        let requests: Vec<Value> = texts.iter().map(|t| json!({"model": format!("models/{model}"), "content": {"parts": [{"text": t}]}})).collect();
        let post = self.url(&model, "batchEmbedContents").map(|url| self.post(url, &json!({ "requests": requests })));
        async move {
            let answer: Value = self.upstream.send(post?, api_key).await?.json().await.map_err(|e| self.upstream.protocol(describe(&e)))?;
            let data: Vec<Value> = answer
                .get("embeddings")
                .and_then(Value::as_array)
                .ok_or_else(|| self.upstream.protocol("batchEmbedContents answered without embeddings"))?
                .iter()
                .enumerate()
                .map(|(i, e)| json!({"object": "embedding", "index": i, "embedding": e.get("values").cloned().unwrap_or_else(|| json!([]))}))
                .collect();
            Ok(Bytes::from(json!({"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": 0, "total_tokens": 0}}).to_string()))
        }
        .boxed()
    }

    fn models(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        async move {
            let get = self.upstream.client().get(format!("{}/models", self.base_url)).query(&[("pageSize", "1000")]);
            let list: Value = self.upstream.send(get, api_key).await?.json().await.map_err(|e| self.upstream.protocol(describe(&e)))?;
            Ok(list
                .get("models")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("name").and_then(Value::as_str).map(|n| n.strip_prefix("models/").unwrap_or(n).to_owned()))
                .collect())
        }
        .boxed()
    }

    fn count_tokens<'a>(&'a self, request: UpstreamRequest<'a>) -> BoxFuture<'a, Result<u64, ProviderError>> {
        let post = self.body(request).and_then(|body| {
            let mut body = body.into_owned();
            body.insert("model".into(), json!(format!("models/{}", request.model)));
            Ok(self.post(self.url(request.model, "countTokens")?, &json!({ "generateContentRequest": body })))
        });
        async move {
            let answer: Value = self.upstream.send(post?, api_key).await?.json().await.map_err(|e| self.upstream.protocol(describe(&e)))?;
            answer.get("totalTokens").and_then(Value::as_u64).ok_or_else(|| self.upstream.protocol("countTokens answered without totalTokens"))
        }
        .boxed()
    }
}
