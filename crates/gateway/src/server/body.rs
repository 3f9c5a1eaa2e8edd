//! Reading request bodies under the configured size limit.

use super::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::{Map, Value};

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request_error",
        format!("request body is larger than the {} limit; send less, or raise server.max_body_bytes", human_size(limit)),
    )
    .code("request_too_large")
}

pub async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers.get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let length_limit = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if length_limit { too_large(limit) } else { ApiError::invalid(format!("could not read the request body: {e}")) }
    })
}

/// Reads a JSON body into `T` (the admin API's requests); an error names the field at fault.
pub async fn read_json<T: serde::de::DeserializeOwned>(body: Body, headers: &HeaderMap, limit: usize) -> Result<T, ApiError> {
    let bytes = read_body(body, headers, limit).await?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| ApiError::invalid_param(e.path().to_string(), format!("{}: {}", e.path(), e.inner())))
}

/// Parses a JSON object body, with errors that point at the problem.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ApiError::invalid(format!("request body is not valid UTF-8 (bad byte at offset {}); send JSON encoded as UTF-8", e.valid_up_to())));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid("request body must be a JSON object")),
        // serde_json stops at 128 levels, so a deep body costs no more than a shallow one; its
        // own words ("recursion limit exceeded") do not say what to change.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => Err(ApiError::invalid(format!(
            "request body nests arrays and objects more than 128 levels deep (at line {} column {}); flatten it",
            e.line(),
            e.column()
        ))),
        Err(e) => Err(ApiError::invalid(format!("request body is not valid JSON: {e}"))),
    }
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}
