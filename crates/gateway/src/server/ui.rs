//! The web UI (ui/dist, built by Vite) at `/`, embedded in release builds and read from disk in
//! debug builds. Unknown paths without a file extension get index.html, so the UI's own routes
//! survive a reload.

use super::error::ApiError;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../ui/dist"]
#[allow_missing = true]
struct Assets;

/// The UI holds the token, so nothing but its own files may run in it, it talks only to its own
/// origin, and no other page may frame it. Vite's build has no inline script or style (React
/// sets styles through the DOM, which `style-src` does not govern).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let is_api = ["/api", "/v1", "/v1beta"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return ApiError::not_found(format!("no such endpoint: {method} {path}")).into_response();
    }
    let file = path.trim_start_matches('/');
    let (name, asset) = match Assets::get(file) {
        Some(asset) if !file.is_empty() => (file, asset),
        _ if file.rsplit('/').next().is_some_and(|last| last.contains('.')) => {
            return ApiError::not_found(format!("no such file: {path}")).into_response();
        }
        _ => match Assets::get("index.html") {
            Some(index) => ("index.html", index),
            None => return not_built(),
        },
    };
    // Vite puts a content hash in every asset name, so those never change; index.html does.
    let cache = if name.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = (StatusCode::OK, asset.data.into_owned()).into_response();
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(asset.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response
}

fn not_built() -> Response {
    let body = "Sluice's web UI is not part of this build. Build it with `npm --prefix ui ci && npm --prefix ui run build`, then rebuild Sluice (`cargo xtask run` does both).";
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
