//! Response pieces shared by the proxied endpoints: ids, `x-sluice-*` headers, bodies.

use crate::cache::CacheStatus;
use crate::router::Target;
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// Sortable by time, unique without coordination.
pub fn new_request_id() -> String {
    format!("req_{:012x}{:016x}", crate::now_ms(), rand::random::<u64>())
}

/// Cost and savings in USD; `None` where the model has no known price.
#[derive(Debug, Clone, Copy, Default)]
pub struct Money {
    pub cost: Option<f64>,
    pub saved: Option<f64>,
}

/// Sets the `x-sluice-*` headers; `money` only on non-streamed answers.
pub fn sluice_headers(response: &mut Response, id: &str, cache: CacheStatus, target: Option<&Target>, money: Option<Money>) {
    let h = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("x-sluice-request-id", id);
    set("x-sluice-cache", cache.as_str());
    if let Some(t) = target {
        set("x-sluice-provider", &t.provider);
        set("x-sluice-model", &t.model);
    }
    if let Some(m) = money {
        // The headers are always there for clients that sum them; an unknown price reads as 0
        // and is flagged, so it is never mistaken for a free call.
        set("x-sluice-cost-usd", &format_usd(m.cost.unwrap_or(0.0)));
        set("x-sluice-saved-usd", &format_usd(m.saved.unwrap_or(0.0)));
        if m.cost.is_none() || m.saved.is_none() {
            set("x-sluice-unpriced", "true");
        }
    }
}

pub fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub fn sse_response(body: Body) -> Response {
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Dollars with enough places for sub-cent calls and no float noise.
pub fn format_usd(v: f64) -> String {
    let s = format!("{v:.10}");
    let s = s.trim_end_matches('0');
    let s = s.strip_suffix('.').unwrap_or(s);
    if s == "-0" { "0".into() } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn usd_formatting() {
        assert_eq!(super::format_usd(0.000123), "0.000123");
        assert_eq!(super::format_usd(1.0), "1");
        assert_eq!(super::format_usd(0.0), "0");
        assert_eq!(super::format_usd(-0.0000000000001), "0");
    }
}
