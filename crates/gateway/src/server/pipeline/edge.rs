//! The pipeline's way out: an answer in the internal form written in the asking client's API,
//! whole or frame by frame, and errors in that API's shape. A frame from an upstream of the
//! client's own API goes out as the upstream sent it.

use crate::providers::Frame;
use crate::server::error::ApiError;
use crate::providers::gemini_sse;
use crate::wire::anthropic::{message as anthropic_message, stream as anthropic};
use crate::wire::gemini::response as gemini;
use crate::wire::{sse_data, ClientApi, SSE_DONE};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use serde_json::Value;

/// A whole answer for the client: the upstream's own body when the upstream (`upstream`,
/// `None` for a cache hit) spoke the client's API, else the completion translated.
pub fn complete(api: ClientApi, upstream: Option<ClientApi>, completion: &Bytes, native: Option<&Bytes>) -> Bytes {
    if let Some(own) = native.filter(|_| upstream == Some(api)) {
        return own.clone();
    }
    let translate = |to: fn(&Value) -> Value| Bytes::from(to(&serde_json::from_slice(completion).unwrap_or(Value::Null)).to_string());
    match api {
        ClientApi::OpenaiChat => completion.clone(),
        ClientApi::AnthropicMessages => translate(anthropic_message::from_completion),
        ClientApi::Gemini => translate(gemini::from_completion),
    }
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
    },
    Anthropic(anthropic::Encoder),
    Gemini(gemini::Encoder),
}

impl StreamOut {
    /// `upstream` is the API family of the provider answering (`None` for a cache replay).
    pub fn new(api: ClientApi, include_usage: bool, upstream: Option<ClientApi>) -> StreamOut {
        let encoder = match api {
            ClientApi::OpenaiChat => Encoder::Openai { include_usage },
            ClientApi::AnthropicMessages => Encoder::Anthropic(anthropic::Encoder::default()),
            ClientApi::Gemini => Encoder::Gemini(gemini::Encoder::default()),
        };
        // OpenAI-family frames carry no native copy: their chunks are the client's format.
        StreamOut { passthrough: upstream == Some(api) && api != ClientApi::OpenaiChat, held: None, encoder }
    }

    /// The bytes one frame becomes (possibly none). `parsed` are its chunks, already parsed.
    pub fn frame(&mut self, frame: &Frame, parsed: &[Value]) -> Bytes {
        if self.passthrough {
            if frame.ends {
                self.held = frame.native.clone();
                return Bytes::new();
            }
            return frame.native.clone().unwrap_or_default();
        }
        let mut out = BytesMut::new();
        match &mut self.encoder {
            Encoder::Openai { include_usage } => {
                for (raw, chunk) in frame.chunks.iter().zip(parsed) {
                    if *include_usage || !usage_only(chunk) {
                        out.extend_from_slice(&sse_data(raw));
                    }
                }
            }
            Encoder::Anthropic(encoder) => parsed.iter().for_each(|c| encoder.chunk(c, &mut out)),
            Encoder::Gemini(encoder) => parsed.iter().flat_map(|c| encoder.chunk(c)).for_each(|r| out.extend_from_slice(&gemini_sse(&r))),
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
            Encoder::Anthropic(encoder) => {
                let mut out = BytesMut::new();
                encoder.finish(&mut out);
                out.freeze()
            }
            Encoder::Gemini(encoder) => gemini_sse(&encoder.finish()),
        }
    }

    /// The event that ends a stream the upstream broke off: SDKs raise it, never a silent end.
    pub fn cut(&self, error: &ApiError) -> Bytes {
        match self.encoder {
            Encoder::Openai { .. } => sse_data(error.body().to_string().as_bytes()),
            Encoder::Anthropic(_) => {
                let mut out = BytesMut::new();
                anthropic::error_event(&mut out, anthropic_error_type(error.status.as_u16()), &error.message);
                out.freeze()
            }
            Encoder::Gemini(_) => gemini_sse(&gemini_error_body(error)),
        }
    }
}

/// A `choices: []` chunk carrying only `usage`, sent because Sluice asked for it.
pub fn usage_only(chunk: &Value) -> bool {
    chunk.get("usage").is_some_and(Value::is_object) && chunk.get("choices").and_then(Value::as_array).is_some_and(Vec::is_empty)
}

/// Anthropic's name for the error behind a status.
pub fn anthropic_error_type(status: u16) -> &'static str {
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
        ClientApi::OpenaiChat => error.into_response(),
        ClientApi::AnthropicMessages => {
            let body = serde_json::json!({"type": "error", "error": {"type": anthropic_error_type(error.status.as_u16()), "message": error.message}});
            (error.status, axum::Json(body)).into_response()
        }
        ClientApi::Gemini => (error.status, axum::Json(gemini_error_body(&error))).into_response(),
    }
}

/// An upstream's own error for the client: passed on untouched when it is already in the
/// client's shape, else its message re-worded into that shape, with the upstream's status.
pub fn upstream_error(api: ClientApi, provider: &str, status: u16, body: &Bytes) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let message = parsed.as_ref().and_then(|v| v.pointer("/error/message")).and_then(Value::as_str);
    let in_client_shape = message.is_some()
        && parsed.as_ref().is_some_and(|v| match api {
            ClientApi::OpenaiChat => v.get("type").is_none() && v.pointer("/error/status").is_none(),
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
