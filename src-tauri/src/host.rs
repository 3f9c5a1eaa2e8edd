//! The gateway inside the app: started at launch (the proxy works with the window closed),
//! restarted on another port when the configured one is taken, drained and flushed on Quit.

use serde::Serialize;
use sluice_gateway::{Engine, Gateway, GatewayOptions, StartError};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::async_runtime::JoinHandle;
use tokio::sync::oneshot;

/// How long Quit waits for in-flight requests before giving up on them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What the window is told about the gateway.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum GatewayState {
    Running { origin: String, token: String },
    /// `remembered`: a new address chosen now is saved to the config (not when SLUICE_LISTEN
    /// decides the address).
    PortInUse { listen: String, suggestion: String, message: String, remembered: bool },
    Failed { message: String },
}

/// The `SLUICE_*` variables of DESIGN.md, read once at launch.
#[derive(Debug, Default, Clone)]
pub struct HostOptions {
    pub config_path: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub token: Option<String>,
}

impl HostOptions {
    pub fn from_env() -> HostOptions {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        HostOptions { config_path: var("SLUICE_CONFIG").map(PathBuf::from), data_dir: var("SLUICE_DATA_DIR").map(PathBuf::from), listen: var("SLUICE_LISTEN"), token: var("SLUICE_TOKEN") }
    }

    pub fn data_dir(&self) -> Option<PathBuf> {
        self.data_dir.clone().or_else(sluice_gateway::default_data_dir)
    }
}

struct Running {
    engine: Arc<Engine>,
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    done: JoinHandle<anyhow::Result<()>>,
}

pub struct GatewayHost {
    options: HostOptions,
    /// The running gateway; none before the start, after a failed one, and after Quit.
    running: tokio::sync::Mutex<Option<Running>>,
    /// The last state, readable without waiting for a start in progress.
    state: Mutex<GatewayState>,
}

impl GatewayHost {
    pub fn new(options: HostOptions) -> GatewayHost {
        GatewayHost { options, running: tokio::sync::Mutex::new(None), state: Mutex::new(GatewayState::Failed { message: "Sluice is starting".into() }) }
    }

    pub fn data_dir(&self) -> Option<PathBuf> {
        self.options.data_dir()
    }

    pub fn state(&self) -> GatewayState {
        self.state.lock().expect("state lock").clone()
    }

    pub async fn engine(&self) -> Option<Arc<Engine>> {
        self.running.lock().await.as_ref().map(|r| r.engine.clone())
    }

    /// Starts the gateway; `listen` overrides the configured address and, when given by the
    /// person (the port-in-use screen), is saved to the config so the next launch uses it.
    pub async fn start(&self, listen: Option<SocketAddr>) -> GatewayState {
        let mut running = self.running.lock().await;
        if let Some(r) = &*running {
            return running_state(&r.engine, r.addr);
        }
        let env_listen = match self.options.listen.as_deref().map(str::parse::<SocketAddr>) {
            Some(Err(e)) => return self.settle(GatewayState::Failed { message: format!("SLUICE_LISTEN is not an address like 127.0.0.1:8990: {e}") }),
            Some(Ok(a)) => Some(a),
            None => None,
        };
        let options = GatewayOptions {
            config_path: self.options.config_path.clone(),
            data_dir: self.options.data_dir.clone(),
            listen: listen.or(env_listen),
            token: self.options.token.clone(),
            keys: None,
        };
        let state = match Gateway::bind(options).await {
            Ok(gateway) => {
                let engine = gateway.engine().clone();
                let addr = gateway.local_addr();
                if listen.is_some() && env_listen.is_none() {
                    remember_listen(&engine, addr);
                }
                let (stop, stopped) = oneshot::channel::<()>();
                let done = tauri::async_runtime::spawn(gateway.run(async {
                    let _ = stopped.await;
                }));
                tracing::info!(%addr, "gateway listening");
                let state = running_state(&engine, addr);
                *running = Some(Running { engine, addr, stop, done });
                *self.state.lock().expect("state lock") = state.clone();
                return state;
            }
            Err(StartError::AddrInUse { addr }) => GatewayState::PortInUse {
                listen: addr.to_string(),
                suggestion: free_port_near(addr).map_or_else(|| SocketAddr::new(addr.ip(), 0).to_string(), |a| a.to_string()),
                message: format!("Another program (perhaps another Sluice) is using {addr}. Sluice can listen on another port; your tools then need the new address."),
                remembered: env_listen.is_none(),
            },
            Err(e) => GatewayState::Failed { message: e.to_string() },
        };
        self.settle(state)
    }

    fn settle(&self, state: GatewayState) -> GatewayState {
        tracing::warn!(?state, "gateway not started");
        *self.state.lock().expect("state lock") = state.clone();
        state
    }

    /// Lets in-flight requests finish and flushes the request log, like `sluice serve` on
    /// SIGTERM.
    pub async fn stop(&self) {
        if let Some(r) = self.running.lock().await.take() {
            let _ = r.stop.send(());
            match tokio::time::timeout(DRAIN_TIMEOUT, r.done).await {
                Ok(Ok(Ok(()))) => tracing::info!("gateway stopped; request log flushed"),
                Ok(Ok(Err(e))) => tracing::error!("gateway stopped with an error: {e:#}"),
                Ok(Err(e)) => tracing::error!("gateway task failed: {e}"),
                Err(_) => tracing::warn!("requests still running after {} s; quitting anyway", DRAIN_TIMEOUT.as_secs()),
            }
        }
        *self.state.lock().expect("state lock") = GatewayState::Failed { message: "Sluice has stopped".into() };
    }
}

fn running_state(engine: &Engine, addr: SocketAddr) -> GatewayState {
    GatewayState::Running { origin: format!("http://{addr}"), token: engine.token().to_string() }
}

fn remember_listen(engine: &Engine, addr: SocketAddr) {
    let mut config = engine.runtime().config.clone();
    config.server.listen = addr;
    if let Err(e) = engine.update_config(config) {
        tracing::warn!("could not save the new listen address: {e}");
    }
}

/// The next free port after `addr`'s, on the same interface.
fn free_port_near(addr: SocketAddr) -> Option<SocketAddr> {
    (1..=50u16).filter_map(|i| addr.port().checked_add(i)).map(|p| SocketAddr::new(addr.ip(), p)).find(|a| std::net::TcpListener::bind(a).is_ok())
}
