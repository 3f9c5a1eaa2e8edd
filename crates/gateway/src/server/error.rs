//! Errors in the OpenAI shape `{"error": {"message", "type", "param", "code"}}`, worded so
//! the reader knows what to fix.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), kind, param: None, code: None }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }
    pub fn invalid_param(param: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError { param: Some(param.into()), ..Self::invalid(message) }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "invalid_request_error", message).code("not_found")
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
    }
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn body(&self) -> serde_json::Value {
        json!({ "error": { "message": self.message, "type": self.kind, "param": self.param, "code": self.code } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

/// The client's answer to a failed upstream call: the upstream's own error as it is, else
/// `message` with the status the failure maps to.
pub fn provider_error(error: &crate::providers::ProviderError, message: String) -> Response {
    match error {
        crate::providers::ProviderError::Status { provider, status, body, .. } => upstream_error(provider, *status, body),
        other => ApiError::new(StatusCode::from_u16(other.client_status()).unwrap_or(StatusCode::BAD_GATEWAY), "upstream_error", message).into_response(),
    }
}

/// An upstream's own error, passed on with its status. Bodies already in the OpenAI shape go
/// through untouched; anything else is wrapped so clients can parse it.
pub fn upstream_error(provider: &str, status: u16, body: &Bytes) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let is_openai_shape = serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v.get("error").is_some_and(|e| e.get("message").is_some()));
    if is_openai_shape {
        let mut response = (status, body.clone()).into_response();
        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return response;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let message = if text.is_empty() { format!("{provider} answered {status} with no details") } else { format!("{provider} answered {status}: {text}") };
    ApiError::new(status, "upstream_error", message).into_response()
}
