//! What every request passes first: the Host check (against DNS rebinding), the Origin check
//! (a web page in a browser must not drive the gateway) and the local token.

use super::error::ApiError;
use super::pipeline::edge;
use crate::wire::ClientApi;
use crate::Engine;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// The desktop window's own origins (Tauri's webview on each platform).
const APP_ORIGINS: &[&str] = &["tauri://localhost", "http://tauri.localhost", "https://tauri.localhost"];

/// Paths anyone on this machine may read without the token: the health checks (Claude Code
/// probes `/api/hello`) and the UI's files (the UI signs in with the token itself).
fn is_public(method: &Method, path: &str) -> bool {
    let api = ["/api", "/v1", "/v1beta"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/")));
    (method == Method::GET || method == Method::HEAD) && (matches!(path, "/healthz" | "/api/hello") || !api)
}

pub async fn guard(State(engine): State<Arc<Engine>>, request: Request, next: Next) -> Response {
    let rt = engine.runtime();
    let server = &rt.config.server;
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or("")
        .to_owned();
    if !host_allowed(&host, &server.allowed_hosts) {
        return forbidden(format!("Host `{host}` is not allowed: Sluice answers only to loopback names. If you reach it through another name, add it to server.allowed_hosts"));
    }
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    // A cross-origin caller we accept (the desktop webview, configured origins) needs CORS.
    let cors_origin = match &origin {
        None => None,
        Some(o) if *o == format!("http://{host}") => None,
        Some(o) if APP_ORIGINS.contains(&o.as_str()) || server.allowed_origins.iter().any(|a| a == o) => Some(o.clone()),
        Some(o) => return forbidden(format!("requests from the web page at {o} are refused; if that page is yours, add it to server.allowed_origins")),
    };
    if request.method() == Method::OPTIONS {
        if let Some(o) = &cors_origin {
            return with_cors(StatusCode::NO_CONTENT.into_response(), o);
        }
    }
    if !is_public(request.method(), request.uri().path()) && !token_ok(&request, &engine.token()) {
        let api = ClientApi::for_path(request.uri().path());
        let response = match engine.wrong_tokens.strike(std::time::Instant::now()) {
            None => {
                let e = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_request_error",
                    format!(
                        "missing or wrong Sluice token: send `Authorization: Bearer <token>` (or `x-api-key: <token>`). The token is in {} unless SLUICE_TOKEN sets it",
                        engine.data_dir.join("token").display()
                    ),
                )
                .code("invalid_api_key");
                edge::error(api, e)
            }
            Some(wait) => {
                let message = format!("too many wrong Sluice tokens in the last minute; try again in {} s with the right token", wait.as_secs());
                let mut response = edge::error(api, ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", message).code("wrong_token_backoff"));
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
                response
            }
        };
        return match &cors_origin {
            Some(o) => with_cors(response, o),
            None => response,
        };
    }
    let path = request.uri().path();
    let response = if engine.paused() && (path.starts_with("/v1/") || path.starts_with("/v1beta/")) {
        let e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "Sluice is paused: resume the proxy from the tray menu or the Settings page").code("paused");
        edge::error(ClientApi::for_path(path), e)
    } else {
        next.run(request).await
    };
    match &cors_origin {
        Some(o) => with_cors(response, o),
        None => response,
    }
}

fn forbidden(message: String) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "invalid_request_error", message).code("forbidden").into_response()
}

fn with_cors(mut response: Response, origin: &str) -> Response {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, x-api-key, content-type, cache-control"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("x-sluice-request-id, x-sluice-cache, x-sluice-provider, x-sluice-model, x-sluice-cost-usd, x-sluice-saved-usd, x-sluice-unpriced"));
    response
}

/// The token as each client API sends a key: OpenAI's bearer, Anthropic's `x-api-key`,
/// Gemini's `x-goog-api-key` (or its `?key=`).
fn token_ok(request: &Request, token: &str) -> bool {
    let headers = request.headers();
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let bearer = header(header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let query_key = request.uri().query().into_iter().flat_map(|q| q.split('&')).find_map(|p| p.strip_prefix("key="));
    [bearer, header("x-api-key"), header("x-goog-api-key"), query_key].into_iter().flatten().any(|given| constant_time_eq(given.trim().as_bytes(), token.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Loopback names and addresses, and the configured extra hosts; the port does not matter.
fn host_allowed(host: &str, extra: &[String]) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(name, _)| name),
    };
    let name = name.to_ascii_lowercase();
    if name.is_empty() {
        return false;
    }
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        || extra.iter().any(|h| h.eq_ignore_ascii_case(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in ["localhost", "localhost:8990", "127.0.0.1:1", "127.8.9.1", "[::1]:8990", "app.localhost"] {
            assert!(host_allowed(ok, &[]), "{ok}");
        }
        for bad in ["", "evil.com", "evil.com:8990", "10.0.0.1", "localhost.evil.com", "[::2]:80"] {
            assert!(!host_allowed(bad, &[]), "{bad}");
        }
        assert!(host_allowed("sluice.internal:8990", &["sluice.internal".into()]));
    }
}
