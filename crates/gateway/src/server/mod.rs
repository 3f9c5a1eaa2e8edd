//! The HTTP surface: the OpenAI-compatible endpoints, the admin API, and the guard in front.

mod admin;
mod body;
mod chat;
mod embeddings;
mod error;
mod gemini;
mod guard;
mod messages;
mod models;
mod pipeline;
mod respond;
mod responses;
mod threads;
pub(crate) mod token;

pub use token::fresh as fresh_token;
mod ui;
pub(crate) mod wrong_tokens;
pub(crate) use threads::pool;

pub use error::ApiError;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use chat::validate as validate_chat;

use crate::config::{self, Config};
use crate::engine::Token;
use crate::secrets::{Keychain, Keys};
use crate::{Engine, EngineOptions};
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How to start a gateway; `None` fields take the defaults of DESIGN.md.
#[derive(Default)]
pub struct GatewayOptions {
    pub config_path: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub token: Option<String>,
    /// Where provider keys come from; when `None`, the OS keychain (if there is one) filed
    /// under this data dir, then env vars.
    pub keys: Option<Arc<Keys>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::LoadError),
    #[error("cannot listen on {addr}: the port is in use (is Sluice already running?). Choose another with --listen or SLUICE_LISTEN, e.g. 127.0.0.1:0 for any free port")]
    AddrInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("no data dir: set SLUICE_DATA_DIR or pass --data-dir")]
    NoDataDir,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A bound, not yet serving, gateway.
pub struct Gateway {
    engine: Arc<Engine>,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

impl Gateway {
    pub async fn bind(options: GatewayOptions) -> Result<Gateway, StartError> {
        crate::secrets::redact_panics();
        let default_data_dir = default_data_dir();
        let data_dir = options.data_dir.or_else(|| default_data_dir.clone()).ok_or(StartError::NoDataDir)?;
        let config_path = options.config_path.unwrap_or_else(|| data_dir.join("config.toml"));
        let config = config::load_file(&config_path)?.unwrap_or_else(Config::from_env);
        std::fs::create_dir_all(&data_dir).map_err(|e| anyhow::anyhow!("cannot create the data dir {}: {e}", data_dir.display()))?;
        let token = match options.token.filter(|t| !t.trim().is_empty()) {
            Some(t) => Token::Fixed(t.trim().to_owned()),
            None => Token::Stored(token::load_or_create(&data_dir)?),
        };
        let addr = options.listen.unwrap_or(config.server.listen);
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => StartError::AddrInUse { addr },
            _ => StartError::Listen { addr, source },
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen { addr, source })?;
        let keys = match options.keys {
            Some(keys) => keys,
            None => {
                let keychain_service = keychain_service(&data_dir, default_data_dir.as_deref());
                tokio::task::spawn_blocking(move || Arc::new(Keys::new(Keychain::open(keychain_service)))).await.map_err(anyhow::Error::from)?
            }
        };
        let engine = Engine::start(config, EngineOptions { data_dir, config_path, token, keys, listen: addr }).await?;
        Ok(Gateway { engine, listener, addr })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish, flushes the request
    /// log and checkpoints it into the database file.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        self.engine.spawn_housekeeping();
        self.engine.quality.load(&self.engine.store).await?;
        self.engine.suite_runs.resume_all(self.engine.store.clone(), self.engine.loopback_client()).await?;
        let app = router(self.engine.clone());
        let runs = self.engine.suite_runs.clone();
        let shutdown = async move {
            shutdown.await;
            runs.halt();
        };
        // Each serving thread gets a pool of its own (see `threads`), built as the shared one
        // was at start; should building one fail after all, that thread shares.
        let client = || crate::engine::new_http_client().unwrap_or_else(|_| self.engine.http_client());
        threads::serve(self.listener, app, client, shutdown).await?;
        self.engine.store.cache_hits(self.engine.cache.take_hits()).await?;
        self.engine.store.flush().await?;
        // Not fatal: the WAL holds the same and is read at the next start.
        if let Err(e) = self.engine.store.checkpoint().await {
            tracing::warn!("could not move the log's WAL into the database file at shutdown: {e}");
        }
        Ok(())
    }
}

/// The platform's data folder for Sluice (e.g. ~/.local/share/sluice), used when no data dir
/// is given; the desktop app and `sluice serve` share it.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("sluice"))
}

/// The keychain service Sluice files keys under: plain "sluice" for the default data dir (the
/// desktop app and `sluice serve` share keys), one per data dir otherwise.
fn keychain_service(data_dir: &std::path::Path, default: Option<&std::path::Path>) -> String {
    let canonical = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    match default {
        Some(d) if canonical(d) == canonical(data_dir) => "sluice".to_owned(),
        _ => format!("sluice {}", canonical(data_dir).display()),
    }
}

pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }))
        .route("/api/hello", get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }))
        .route("/v1/chat/completions", post(chat::chat_completions))
        .route("/v1/responses", post(responses::responses))
        .route("/v1/messages", post(messages::messages))
        .route("/v1/messages/count_tokens", post(messages::count_tokens))
        .route("/v1beta/models", get(gemini::list))
        .route("/v1beta/models/{*rest}", post(gemini::call))
        .route("/v1/models/{*rest}", post(gemini::call))
        .route("/v1/embeddings", post(embeddings::embeddings))
        .route("/v1/models", get(models::list_models))
        .route("/api/stats", get(admin::stats))
        .route("/api/requests", get(admin::requests))
        .route("/api/requests/{id}", get(admin::request_detail))
        .route("/api/requests/{id}/feedback", post(admin::feedback::feedback))
        .route("/api/quality", get(admin::quality::overview))
        .route("/api/quality/changes/{id}/undo", post(admin::quality::undo))
        .route("/api/health", get(admin::health))
        .route("/api/config", get(admin::get_config).put(admin::put_config))
        .route("/api/usage", get(admin::usage))
        .route("/api/route/explain", post(admin::routing::explain))
        .route("/api/budgets", get(admin::routing::budgets))
        .route("/api/models", get(models::priced))
        .route("/api/rules/stats", get(admin::routing::rule_stats))
        .route("/api/suites", get(admin::suites::list).post(admin::suites::create))
        .route("/api/suites/{id}", get(admin::suites::get).put(admin::suites::replace).delete(admin::suites::delete))
        .route("/api/suites/{id}/export", get(admin::suites::export))
        .route("/api/suites/{id}/cases", post(admin::suites::add_case))
        .route("/api/suites/{id}/runs", post(admin::suites::start_run))
        .route("/api/runs/{id}", get(admin::suites::run))
        .route("/api/runs/{id}/cancel", post(admin::suites::cancel))
        .route("/api/runs/{id}/resume", post(admin::suites::resume))
        .route("/api/runs/{id}/rule", post(admin::suites::make_rule))
        .route("/api/cache", get(admin::cache::entries).delete(admin::cache::clear))
        .route("/api/cache/status", get(admin::cache::status))
        .route("/api/cache/model", post(admin::cache::fetch_model))
        .route("/api/cache/{id}/invalidate", post(admin::cache::invalidate))
        .route("/api/info", get(admin::settings::info))
        .route("/api/token/rotate", post(admin::settings::rotate_token))
        .route("/api/proxy", axum::routing::put(admin::settings::set_proxy))
        .route("/api/keys", get(admin::keys::list))
        .route("/api/keys/{provider}", axum::routing::put(admin::keys::put).delete(admin::keys::delete))
        .route("/api/providers/{provider}/test", post(admin::providers::test))
        .fallback(ui::serve)
        .layer(axum::middleware::from_fn_with_state(engine.clone(), guard::guard))
        .with_state(engine)
}
