//! The pipeline's way out: an answer in the internal form written in the asking client's API,
//! whole or frame by frame, and errors in that API's shape. A frame from an upstream of the
//! client's own API goes out as the upstream sent it.

use crate::providers::{Chunk, Frame, ProviderError};
use crate::server::error::ApiError;
use crate::wire::anthropic::{message as anthropic_message, stream as anthropic};
use crate::wire::gemini::response::{self as gemini, sse as gemini_sse};
use crate::wire::responses::response as responses;
use crate::wire::{sse_data, sse_event, ClientApi, SSE_DONE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use serde_json::Value;

/// Who is asking, as far as writing answers for them goes.
#[derive(Debug, Clone)]
pub struct Client {
    pub api: ClientApi,
    /// OpenAI chat streams: the client asked for the usage-only chunk.
    pub include_usage: bool,
    /// Responses: the request's freeform tools, whose calls go back as `custom_tool_call`s.
    pub custom_tools: Vec<String>,
}

impl Client {
    pub fn new(api: ClientApi) -> Client {
        Client { api, include_usage: false, custom_tools: Vec::new() }
    }
}

/// A whole answer for the client: the upstream's own body when it got the client's own request
/// (`passthrough`), else the completion translated.
pub fn complete(client: &Client, passthrough: bool, completion: &Bytes, native: Option<&Bytes>) -> Bytes {
    if let Some(own) = native.filter(|_| passthrough) {
        return own.clone();
    }
    let parsed = || serde_json::from_slice(completion).unwrap_or(Value::Null);
    let translated = match client.api {
        ClientApi::OpenaiChat => return completion.clone(),
        ClientApi::OpenaiResponses => responses::from_completion(&parsed(), &client.custom_tools),
        ClientApi::AnthropicMessages => anthropic_message::from_completion(&parsed()),
        ClientApi::Gemini => gemini::from_completion(&parsed()),
    };
    Bytes::from(translated.to_string())
}

/// Writes one streamed answer in the client's API.
pub struct StreamOut {
    /// The upstream speaks the client's API: its events go out as they came, but for the
    /// last, which waits until the request is logged (as `done` does for the others).
    passthrough: bool,
    held: Option<Bytes>,
    encoder: Encoder,
}

enum Encoder {
    Openai {
        /// The usage-only chunk Sluice asked for goes to clients that asked for it too.
        include_usage: bool,
        /// `{"id":…,"object":…,"created":…,"model":…,` from the first chunk, for the chunks a
        /// translation sends without them.
        head: Option<Bytes>,
    },
    Responses(responses::Encoder),
    Anthropic(anthropic::Encoder),
    Gemini(gemini::Encoder),
}

impl StreamOut {
    /// `passthrough`: the upstream got the client's own request (never for a cache replay).
    pub fn new(client: &Client, passthrough: bool) -> StreamOut {
        let api = client.api;
        let encoder = match api {
            ClientApi::OpenaiChat => Encoder::Openai { include_usage: client.include_usage, head: None },
            ClientApi::OpenaiResponses => Encoder::Responses(responses::Encoder::new(client.custom_tools.clone())),
            ClientApi::AnthropicMessages => Encoder::Anthropic(anthropic::Encoder::default()),
            ClientApi::Gemini => Encoder::Gemini(gemini::Encoder::default()),
        };
        // OpenAI chat frames carry no native copy: their chunks are the client's format.
        StreamOut { passthrough: passthrough && api != ClientApi::OpenaiChat, held: None, encoder }
    }

    /// The bytes one frame becomes (possibly none).
    pub fn frame(&mut self, frame: &Frame) -> Bytes {
        if self.passthrough {
            if frame.ends {
                self.held = frame.native.clone();
                return Bytes::new();
            }
            return frame.native.clone().unwrap_or_default();
        }
        let mut out = BytesMut::new();
        match &mut self.encoder {
            Encoder::Openai { include_usage, head } => {
                for chunk in frame.chunks.iter().filter(|c| *include_usage || !usage_only(&c.value)) {
                    write_chunk(&mut out, head, chunk);
                }
            }
            Encoder::Responses(encoder) => frame.chunks.iter().for_each(|c| encoder.chunk(&c.value, &mut out)),
            Encoder::Anthropic(encoder) => frame.chunks.iter().for_each(|c| encoder.chunk(&c.value, &mut out)),
            Encoder::Gemini(encoder) => frame.chunks.iter().flat_map(|c| encoder.chunk(&c.value)).for_each(|r| out.extend_from_slice(&gemini_sse(&r))),
        }
        out.freeze()
    }

    /// What closes a complete answer.
    pub fn done(&mut self) -> Bytes {
        if self.passthrough {
            return self.held.take().unwrap_or_default();
        }
        match &mut self.encoder {
            Encoder::Openai { .. } => Bytes::from_static(SSE_DONE),
            Encoder::Responses(encoder) => {
                let mut out = BytesMut::new();
                encoder.finish(&mut out);
                out.freeze()
            }
            Encoder::Anthropic(encoder) => {
                let mut out = BytesMut::new();
                encoder.finish(&mut out);
                out.freeze()
            }
            Encoder::Gemini(encoder) => gemini_sse(&encoder.finish()),
        }
    }

    /// What keeps a quiet stream alive: Anthropic's `ping`, else an SSE comment (which every
    /// client's parser skips).
    pub fn keepalive(&self) -> Bytes {
        match self.encoder {
            Encoder::Anthropic(_) => {
                let mut out = BytesMut::new();
                sse_event(&mut out, "ping", &serde_json::json!({"type": "ping"}));
                out.freeze()
            }
            _ => Bytes::from_static(b": keep-alive\n\n"),
        }
    }

    /// The event that ends a stream the upstream broke off: SDKs raise it, never a silent end.
    pub fn cut(&mut self, error: &ApiError) -> Bytes {
        match &mut self.encoder {
            Encoder::Openai { .. } => sse_data(error.body().to_string().as_bytes()),
            Encoder::Responses(encoder) => {
                let mut out = BytesMut::new();
                encoder.failed(&error.message, &mut out);
                out.freeze()
            }
            Encoder::Anthropic(_) => {
                let mut out = BytesMut::new();
                anthropic::error_event(&mut out, anthropic_error_type(error.status.as_u16()), &error.message);
                out.freeze()
            }
            Encoder::Gemini(_) => gemini_sse(&gemini_error_body(error)),
        }
    }
}

/// One chunk as an SSE event for an OpenAI client: as it came when it names its completion (an
/// OpenAI upstream's chunks do) or is anything odd, else — a translated chunk — with the first
/// chunk's `id`, `object`, `created` and `model` written in front of its own fields.
fn write_chunk(out: &mut BytesMut, head: &mut Option<Bytes>, chunk: &Chunk) {
    let json = chunk.json();
    let named = chunk.value.get("id").is_some();
    if named && head.is_none() {
        let h = serde_json::json!({"id": chunk.value["id"], "object": "chat.completion.chunk", "created": chunk.value["created"], "model": chunk.value["model"]}).to_string();
        *head = Some(Bytes::from(h[..h.len() - 1].to_owned() + ","));
    }
    match head.as_deref() {
        Some(h) if !named && chunk.value.is_object() && json.first() == Some(&b'{') => {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(h);
            out.extend_from_slice(&json[1..]);
            out.extend_from_slice(b"\n\n");
        }
        _ => out.extend_from_slice(&sse_data(&json)),
    }
}

/// A `choices: []` chunk carrying only `usage`, sent because Sluice asked for it.
fn usage_only(chunk: &Value) -> bool {
    chunk.get("usage").is_some_and(Value::is_object) && chunk.get("choices").and_then(Value::as_array).is_some_and(Vec::is_empty)
}

/// Anthropic's name for the error behind a status.
fn anthropic_error_type(status: u16) -> &'static str {
    match status {
        400 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 | 503 => "overloaded_error",
        _ => "api_error",
    }
}

/// Google's status name for an HTTP status.
fn gemini_status(status: u16) -> &'static str {
    match status {
        400 | 413 | 422 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 | 529 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

fn gemini_error_body(error: &ApiError) -> Value {
    serde_json::json!({"error": {"code": error.status.as_u16(), "message": error.message, "status": gemini_status(error.status.as_u16())}})
}

/// An error in the client's API's shape.
pub fn error(api: ClientApi, error: ApiError) -> Response {
    match api {
        ClientApi::OpenaiChat | ClientApi::OpenaiResponses => error.into_response(),
        ClientApi::AnthropicMessages => {
            let body = serde_json::json!({"type": "error", "error": {"type": anthropic_error_type(error.status.as_u16()), "message": error.message}});
            (error.status, axum::Json(body)).into_response()
        }
        ClientApi::Gemini => (error.status, axum::Json(gemini_error_body(&error))).into_response(),
    }
}

/// The client's answer to a failed upstream call, in its API's shape: the upstream's own
/// error (see `upstream_error`), else `message` with the status the failure
/// maps to.
pub fn provider_error(api: ClientApi, failure: &ProviderError, message: String) -> Response {
    match failure {
        ProviderError::Status { provider, status, body, .. } => upstream_error(api, provider, *status, body),
        ProviderError::Unsupported { .. } => error(api, ApiError::invalid(message).code("unsupported_by_target")),
        other => error(api, ApiError::new(StatusCode::from_u16(other.client_status()).unwrap_or(StatusCode::BAD_GATEWAY), "upstream_error", message)),
    }
}

/// An upstream's own error for the client: passed on untouched when it is already in the
/// client's shape, else its message re-worded into that shape, with the upstream's status.
pub fn upstream_error(api: ClientApi, provider: &str, status: u16, body: &Bytes) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let message = parsed.as_ref().and_then(|v| v.pointer("/error/message")).and_then(Value::as_str);
    let in_client_shape = message.is_some()
        && parsed.as_ref().is_some_and(|v| match api {
            ClientApi::OpenaiChat | ClientApi::OpenaiResponses => v.get("type").is_none() && v.pointer("/error/status").is_none(),
            ClientApi::AnthropicMessages => v.get("type").and_then(Value::as_str) == Some("error"),
            ClientApi::Gemini => v.pointer("/error/status").is_some_and(Value::is_string),
        });
    let code = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
    if in_client_shape {
        let mut response = (code, body.clone()).into_response();
        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
        return response;
    }
    let text = String::from_utf8_lossy(body);
    let detail = message.map(str::to_owned).unwrap_or_else(|| text.trim().to_owned());
    let message = if detail.is_empty() { format!("{provider} answered {status} with no details") } else { format!("{provider} answered {status}: {detail}") };
    error(api, ApiError::new(code, "upstream_error", message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::SseDecoder;

    #[test]
    fn translated_chunks_get_the_first_chunks_head_and_others_go_as_they_came() {
        let chunk = |value: serde_json::Value, json: Option<&str>| Chunk { value, json: json.map(|j| Bytes::from(j.to_owned())) };
        let frame = Frame {
            chunks: vec![
                chunk(serde_json::json!({"id": "c1", "created": 5, "model": "m", "choices": []}), None),
                chunk(serde_json::json!({"choices": [{"index": 0, "delta": {"content": "hi"}}]}), None),
                chunk(serde_json::json!({"choices": []}), Some(" {\"choices\":[]}")),
                chunk(serde_json::Value::Null, Some("not json")),
            ],
            native: None,
            ends: false,
        };
        let mut out = StreamOut::new(&Client { include_usage: true, ..Client::new(ClientApi::OpenaiChat) }, false);
        let events: Vec<String> = SseDecoder::default().push(&out.frame(&frame)).into_iter().map(|e| e.data).collect();
        let second: serde_json::Value = serde_json::from_str(&events[1]).unwrap();
        assert_eq!((&second["id"], &second["model"], &second["choices"][0]["delta"]["content"]), (&serde_json::json!("c1"), &serde_json::json!("m"), &serde_json::json!("hi")));
        assert_eq!(events[2], " {\"choices\":[]}", "text that does not start its object is not spliced");
        assert_eq!(events[3], "not json");
    }

    #[test]
    fn keepalives_are_what_each_client_skips() {
        let anthropic = StreamOut::new(&Client::new(ClientApi::AnthropicMessages), true).keepalive();
        let events = SseDecoder::default().push(&anthropic);
        assert_eq!((events[0].event.as_deref(), events[0].data.as_str()), (Some("ping"), r#"{"type":"ping"}"#));
        for api in [ClientApi::OpenaiChat, ClientApi::OpenaiResponses, ClientApi::Gemini] {
            let bytes = StreamOut::new(&Client::new(api), false).keepalive();
            assert!(SseDecoder::default().push(&bytes).is_empty(), "a comment is no event for {api:?}");
        }
    }
}
