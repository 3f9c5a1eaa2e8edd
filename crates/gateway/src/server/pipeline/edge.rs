//! The pipeline's way out: an answer in the internal form written in the asking client's API,
//! whole or frame by frame, and errors in that API's shape. A frame from an upstream of the
//! client's own API goes out as the upstream sent it.

use crate::providers::Frame;
use crate::server::error::ApiError;
use crate::wire::anthropic::{message, stream as anthropic};
use crate::wire::{sse_data, ClientApi, SSE_DONE};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use serde_json::Value;

/// A whole answer for the client: the upstream's own body when it spoke the client's API,
/// else the completion translated.
pub fn complete(api: ClientApi, completion: &Bytes, native: Option<&Bytes>) -> Bytes {
    match (api, native) {
        (ClientApi::OpenaiChat, _) => completion.clone(),
        (ClientApi::AnthropicMessages, Some(own)) => own.clone(),
        (ClientApi::AnthropicMessages, None) => {
            let completion: Value = serde_json::from_slice(completion).unwrap_or(Value::Null);
            Bytes::from(message::from_completion(&completion).to_string())
        }
    }
}

/// Writes one streamed answer in the client's API.
pub enum StreamOut {
    Openai {
        /// The usage-only chunk Sluice asked for goes to clients that asked for it too.
        include_usage: bool,
    },
    Anthropic {
        /// The upstream speaks Anthropic too: its events go out as they came, but for the
        /// last, which waits until the request is logged (as `done` does for others).
        passthrough: bool,
        held: Option<Bytes>,
        encoder: anthropic::Encoder,
    },
}

/// The event that ends an Anthropic stream, as the provider adapter writes it.
const MESSAGE_STOP: &[u8] = b"event: message_stop\n";

impl StreamOut {
    /// `upstream` is the API family of the provider answering (`None` for a cache replay).
    pub fn new(api: ClientApi, include_usage: bool, upstream: Option<ClientApi>) -> StreamOut {
        match api {
            ClientApi::OpenaiChat => StreamOut::Openai { include_usage },
            ClientApi::AnthropicMessages => StreamOut::Anthropic { passthrough: upstream == Some(api), held: None, encoder: anthropic::Encoder::default() },
        }
    }

    /// The bytes one frame becomes (possibly none). `parsed` are its chunks, already parsed.
    pub fn frame(&mut self, frame: &Frame, parsed: &[Value]) -> Bytes {
        match self {
            StreamOut::Openai { include_usage } => {
                let mut out = BytesMut::new();
                for (raw, chunk) in frame.chunks.iter().zip(parsed) {
                    if *include_usage || !usage_only(chunk) {
                        out.extend_from_slice(&sse_data(raw));
                    }
                }
                out.freeze()
            }
            StreamOut::Anthropic { passthrough: true, held, .. } => match &frame.native {
                Some(own) if own.starts_with(MESSAGE_STOP) => {
                    *held = Some(own.clone());
                    Bytes::new()
                }
                own => own.clone().unwrap_or_default(),
            },
            StreamOut::Anthropic { encoder, .. } => {
                let mut out = BytesMut::new();
                parsed.iter().for_each(|c| encoder.chunk(c, &mut out));
                out.freeze()
            }
        }
    }

    /// What closes a complete answer.
    pub fn done(&mut self) -> Bytes {
        match self {
            StreamOut::Openai { .. } => Bytes::from_static(SSE_DONE),
            StreamOut::Anthropic { passthrough: true, held, .. } => held.take().unwrap_or_default(),
            StreamOut::Anthropic { encoder, .. } => {
                let mut out = BytesMut::new();
                encoder.finish(&mut out);
                out.freeze()
            }
        }
    }

    /// The event that ends a stream the upstream broke off: SDKs raise it, never a silent end.
    pub fn cut(&self, error: &ApiError) -> Bytes {
        match self {
            StreamOut::Openai { .. } => sse_data(error.body().to_string().as_bytes()),
            StreamOut::Anthropic { .. } => {
                let mut out = BytesMut::new();
                anthropic::error_event(&mut out, anthropic_error_type(error.status.as_u16()), &error.message);
                out.freeze()
            }
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

/// An error in the client's API's shape.
pub fn error(api: ClientApi, error: ApiError) -> Response {
    match api {
        ClientApi::OpenaiChat => error.into_response(),
        ClientApi::AnthropicMessages => {
            let body = serde_json::json!({"type": "error", "error": {"type": anthropic_error_type(error.status.as_u16()), "message": error.message}});
            (error.status, axum::Json(body)).into_response()
        }
    }
}

/// An upstream's own error for the client: passed on untouched when it is already in the
/// client's shape, else its message re-worded into that shape, with the upstream's status.
pub fn upstream_error(api: ClientApi, provider: &str, status: u16, body: &Bytes) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let message = parsed.as_ref().and_then(|v| v.pointer("/error/message")).and_then(Value::as_str);
    let in_client_shape = match api {
        ClientApi::OpenaiChat => message.is_some() && parsed.as_ref().is_some_and(|v| v.get("type").is_none()),
        ClientApi::AnthropicMessages => message.is_some() && parsed.as_ref().is_some_and(|v| v.get("type").and_then(Value::as_str) == Some("error")),
    };
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
