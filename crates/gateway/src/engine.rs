//! The long-lived engine (store, cache, health, token) and the runtime built from the current
//! config, swapped atomically when the config changes so in-flight requests finish on the
//! config they started with.

use crate::cache::semantic::SemanticCache;
use crate::cache::ExactCache;
use crate::config::{self, Config, ConfigWatcher, FieldError, ProviderKind};
use crate::pricing::PriceTable;
use crate::providers::{Anthropic, Flavor, Gemini, OpenAiCompatible, Provider};
use crate::router::{BudgetState, Budgets, Health, Intents, Routes, Spend};
use crate::secrets::Keys;
use crate::store::Store;
use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything that follows from one config.
pub struct Runtime {
    pub config: Config,
    pub providers: HashMap<String, Arc<dyn Provider>>,
    pub routes: Routes,
    pub prices: PriceTable,
    pub budgets: Budgets,
    pub intents: Intents,
}

impl Runtime {
    pub fn build(config: Config, keys: &Keys, client: &reqwest::Client) -> Runtime {
        let mut providers: HashMap<String, Arc<dyn Provider>> = HashMap::new();
        for p in config.providers.iter().filter(|p| p.enabled) {
            let preset = config::preset(&p.id);
            let base_url = p.base_url.as_deref().or(preset.map(|x| x.base_url)).expect("validated: base_url or preset");
            let key_env = p.key_env();
            let key = keys.key(&p.id, key_env).map(|(secret, _)| secret);
            let missing_key_hint = match (&key, key_env) {
                (None, Some(var)) => Some(format!("set {var}, or add the key in Sluice's Providers page")),
                _ => None,
            };
            let adapter: Arc<dyn Provider> = match p.kind.or(preset.map(|x| x.kind)).unwrap_or(ProviderKind::OpenaiCompatible) {
                kind @ (ProviderKind::Openai | ProviderKind::OpenaiCompatible | ProviderKind::Azure) => {
                    let flavor = match kind {
                        ProviderKind::Openai => Flavor::Official,
                        ProviderKind::Azure => Flavor::Azure { api_version: p.api_version.clone().unwrap_or_else(|| config::AZURE_API_VERSION.to_owned()) },
                        _ => Flavor::Compatible,
                    };
                    Arc::new(OpenAiCompatible::new(p.id.clone(), base_url, key, missing_key_hint, client.clone(), flavor))
                }
                ProviderKind::Anthropic => Arc::new(Anthropic::new(p.id.clone(), base_url, key, missing_key_hint, client.clone())),
                ProviderKind::Gemini => Arc::new(Gemini::new(p.id.clone(), base_url, key, missing_key_hint, client.clone())),
            };
            providers.insert(p.id.clone(), adapter);
        }
        Runtime {
            routes: Routes::new(&config),
            prices: PriceTable::new(&config.prices),
            budgets: Budgets::new(&config.budgets),
            intents: Intents::new(&config.intents),
            providers,
            config,
        }
    }
}

/// An HTTP client with its own connection pool; every one Sluice makes is alike.
pub fn new_http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Points the semantic cache at its embedding model: none when nothing uses semantic caching;
/// a provider's model when `[cache] embedder` names one; else the local model's folder from the
/// env var, the config, or the data dir (where the app puts a downloaded model).
fn choose_embedder(semantic: &Arc<SemanticCache>, runtime: &Runtime, data_dir: &std::path::Path) {
    let config = &runtime.config;
    let semantic_on = |c: Option<&crate::config::RouteCacheConfig>| c.and_then(|c| c.semantic) == Some(true);
    let used = config.cache.semantic
        || config.routes.iter().any(|r| semantic_on(r.cache.as_ref()))
        || config.rules.iter().any(|r| semantic_on(r.then.cache.as_ref()))
        || runtime.routes.rules.use_embedding();
    if !used {
        return semantic.load_model(None);
    }
    if let Some((provider, model)) = config.cache.embedder.as_deref().and_then(|e| e.split_once('/')) {
        let remote = match runtime.providers.get(provider) {
            Some(p) => Ok(crate::embed::Remote::new(p.clone(), model)),
            None => Err((format!("{provider}/{model}"), format!("provider `{provider}` is disabled; enable it or change [cache] embedder"))),
        };
        return semantic.use_remote(remote);
    }
    let dir = std::env::var_os("SLUICE_EMBED_MODEL_DIR")
        .map(PathBuf::from)
        .or_else(|| config.cache.embed_model_dir.clone())
        .unwrap_or_else(|| data_dir.join("models").join(crate::embed::MINILM));
    semantic.load_model(Some(dir));
}

/// Where the engine keeps its state and how it was asked to start.
pub struct EngineOptions {
    pub data_dir: PathBuf,
    /// The config file; created on the first change through the admin API.
    pub config_path: PathBuf,
    pub token: Token,
    pub keys: Arc<Keys>,
    /// Where the server listens, for the UI's connection details.
    pub listen: SocketAddr,
}

/// The local token clients present, and whether Sluice may change it.
pub enum Token {
    /// Set by `SLUICE_TOKEN` or the embedding app; only its owner can change it.
    Fixed(String),
    /// Kept in the data dir; rotated through the admin API.
    Stored(String),
}

pub struct Engine {
    runtime: ArcSwap<Runtime>,
    pub store: Arc<Store>,
    pub cache: ExactCache,
    pub semantic: Arc<SemanticCache>,
    pub health: Health,
    /// Spend in the current day and month, for budgets.
    pub spend: Spend,
    /// The state each budget was last logged in, so a warning is logged once, not per request.
    budget_log: Mutex<HashMap<String, &'static str>>,
    token: ArcSwap<String>,
    token_fixed: bool,
    paused: AtomicBool,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub config_path: PathBuf,
    pub keys: Arc<Keys>,
    client: reqwest::Client,
    watcher: Mutex<ConfigWatcher>,
    reload_error: Mutex<Option<String>>,
    /// Upstream model lists, fetched at most every few minutes.
    pub model_lists: Mutex<HashMap<String, (std::time::Instant, Vec<String>)>>,
    /// Prompt-suite runs going on in this process.
    pub suite_runs: crate::suites::Runner,
    /// Prepared long prompts, token counts and what providers cached, for compression.
    pub compressor: crate::compress::Compressor,
    /// Sampling, verdicts and the thresholds they moved.
    pub quality: crate::quality::Quality,
    /// Recent wrong tokens, for the back-off.
    pub(crate) wrong_tokens: crate::server::wrong_tokens::WrongTokens,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigUpdateError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

impl Engine {
    pub async fn start(config: Config, options: EngineOptions) -> anyhow::Result<Arc<Engine>> {
        use anyhow::Context;
        std::fs::create_dir_all(&options.data_dir).with_context(|| format!("cannot create the data dir {}", options.data_dir.display()))?;
        let store = Arc::new(Store::open(&options.data_dir)?);
        let cache = ExactCache::load(store.clone(), crate::now_ms()).await?;
        let client = new_http_client().context("cannot build the HTTP client")?;
        let now = crate::now_ms();
        let since = Spend::month_start_ms(now);
        let logged = store.read(move |conn| crate::store::spend_since(conn, since)).await?;
        let spend = Spend::new(now, logged);
        let semantic = Arc::new(SemanticCache::new(store.clone()));
        let runtime = Runtime::build(config, options.keys.as_ref(), &client);
        choose_embedder(&semantic, &runtime, &options.data_dir);
        Ok(Arc::new(Engine {
            semantic,
            runtime: ArcSwap::from_pointee(runtime),
            store,
            cache,
            health: Health::default(),
            spend,
            budget_log: Mutex::new(HashMap::new()),
            token_fixed: matches!(options.token, Token::Fixed(_)),
            token: ArcSwap::from_pointee(match options.token {
                Token::Fixed(t) | Token::Stored(t) => t,
            }),
            paused: AtomicBool::new(false),
            listen: options.listen,
            data_dir: options.data_dir,
            watcher: Mutex::new(ConfigWatcher::new(options.config_path.clone())),
            config_path: options.config_path,
            keys: options.keys,
            client,
            reload_error: Mutex::new(None),
            model_lists: Mutex::new(HashMap::new()),
            suite_runs: Default::default(),
            compressor: Default::default(),
            quality: Default::default(),
            wrong_tokens: Default::default(),
        }))
    }

    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.load_full()
    }

    pub fn token(&self) -> Arc<String> {
        self.token.load_full()
    }

    /// Whether the token came from outside (`SLUICE_TOKEN`) and so cannot be rotated here.
    pub fn token_fixed(&self) -> bool {
        self.token_fixed
    }

    /// Replaces the stored token with a fresh one; clients holding the old one are refused
    /// from now on.
    pub fn rotate_token(&self) -> anyhow::Result<Arc<String>> {
        anyhow::ensure!(!self.token_fixed, "the token is set by SLUICE_TOKEN; change it there");
        let fresh = Arc::new(crate::server::token::create(&self.data_dir)?);
        self.token.store(fresh.clone());
        Ok(fresh)
    }

    /// A client of this gateway's own API over loopback, for suite runs: they go through the
    /// gateway like any client, so rules, prices, fallbacks and the log apply.
    pub fn loopback_client(&self) -> Arc<crate::suites::Client> {
        let mut addr = self.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        Arc::new(crate::suites::Client::new(format!("http://{addr}"), self.token().to_string()))
    }

    /// The shared HTTP client (connection pools, timeouts, user agent).
    pub fn http_client(&self) -> reqwest::Client {
        self.client.clone()
    }

    /// A paused proxy refuses `/v1` calls (503) and keeps the admin API and UI up.
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
        tracing::info!(paused, "proxy {}", if paused { "paused" } else { "resumed" });
    }

    /// Logs a request and counts its cost against the budgets.
    pub async fn log(&self, record: crate::store::RequestRecord, cache: Option<crate::store::CacheInsert>) -> Result<(), crate::store::StoreError> {
        if let Some(usd) = record.cost_usd {
            self.spend.add(crate::router::Cost { ts_ms: record.ts_ms, usd, provider: record.provider.as_deref(), rule: &record.rule });
        }
        self.store.log(record, cache).await
    }

    /// Logs a budget past its warning share once per state it reaches.
    pub fn budget_warned(&self, b: &BudgetState) {
        let mut logged = self.budget_log.lock().expect("budget log lock");
        if logged.insert(b.name.clone(), b.state) != Some(b.state) {
            tracing::warn!(budget = %b.name, spent_usd = b.spent_usd, usd = b.usd, "budget {} is {:.0} % used ({})", b.name, b.share * 100.0, b.state);
        }
    }

    /// Rebuilds the providers after a key changed in the keychain.
    pub fn keys_changed(&self) {
        self.apply(self.runtime().config.clone());
    }

    fn apply(&self, config: Config) {
        let runtime = Arc::new(Runtime::build(config, self.keys.as_ref(), &self.client));
        choose_embedder(&self.semantic, &runtime, &self.data_dir);
        self.runtime.store(runtime);
        self.model_lists.lock().expect("model list lock").clear();
    }

    /// Validates, saves atomically and applies a new config. On any error the old config
    /// stays in force and on disk.
    pub fn update_config(&self, config: Config) -> Result<(), ConfigUpdateError> {
        config.validate()?;
        let mut watcher = self.watcher.lock().expect("watcher lock");
        let text = match std::fs::read_to_string(&self.config_path) {
            Ok(old) => config::edit_in_place(&old, &config),
            Err(_) => config.to_toml(),
        };
        config::write_atomic(&self.config_path, &text).map_err(|source| ConfigUpdateError::Write { path: self.config_path.clone(), source })?;
        watcher.mark_seen();
        *self.reload_error.lock().expect("reload error lock") = None;
        self.apply(config);
        Ok(())
    }

    /// The last hand edit that could not be applied, if the file is still in that state.
    pub fn reload_error(&self) -> Option<String> {
        self.reload_error.lock().expect("reload error lock").clone()
    }

    /// Applies hand edits of the config file; an invalid file is reported and ignored.
    pub fn reload_if_changed(&self) {
        if !self.watcher.lock().expect("watcher lock").changed() {
            return;
        }
        match config::load_file(&self.config_path) {
            Ok(Some(config)) => {
                tracing::info!(path = %self.config_path.display(), "config file changed; applied");
                *self.reload_error.lock().expect("reload error lock") = None;
                self.apply(config);
            }
            Ok(None) => tracing::warn!(path = %self.config_path.display(), "config file removed; keeping the current config"),
            Err(e) => {
                tracing::error!("config file changed but is invalid, keeping the current config: {e}");
                *self.reload_error.lock().expect("reload error lock") = Some(e.to_string());
            }
        }
    }

    /// Background chores: config reloads and cache expiry. Runs until the engine is dropped.
    pub fn spawn_housekeeping(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(config::WATCH_INTERVAL);
            let mut ticks: u64 = 0;
            loop {
                tick.tick().await;
                let Some(engine) = weak.upgrade() else { return };
                engine.reload_if_changed();
                let hits = engine.cache.take_hits();
                if !hits.is_empty() {
                    if let Err(e) = engine.store.cache_hits(hits).await {
                        tracing::warn!("could not record cache hits: {e}");
                    }
                }
                ticks += 1;
                // Every ten minutes.
                if ticks.is_multiple_of(1200) {
                    let retention = engine.runtime().config.log.retention_days;
                    if let Err(e) = engine.store.purge(crate::now_ms(), retention).await {
                        tracing::warn!("could not purge expired cache entries and old requests: {e}");
                    }
                }
            }
        });
    }
}
