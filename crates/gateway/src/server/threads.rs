//! Serving threads: one per core (at most `MAX_THREADS`), each with its own single-threaded
//! runtime and its own pool of upstream connections.
//!
//! A connection is accepted on the caller's runtime and handed to the threads in turn; from
//! then on every request on it, and every upstream call those requests make, runs on that one
//! thread. On tokio's shared multi-threaded runtime a request and the upstream connection task
//! it waits on were woken on different threads, about 80 µs a call on 2 cores (measured:
//! docs/benchmarks.md, "The proxy hop"); handing over once per connection costs nothing per
//! request, and clients keep their connections alive.
//!
//! Work that needs a core for long (embeddings, token counts, compression's preparation) goes
//! to the blocking pool as before, so it never holds up the requests sharing its thread.
//! Shutdown is graceful as with `axum::serve`: no new connections, idle ones closed, requests
//! in flight finished.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// Past this, more threads only multiply upstream connections (each thread has its own pool,
/// and so its own TLS handshakes): a desktop gateway's traffic never needs more.
const MAX_THREADS: usize = 8;

/// Upstream connection pools: each serving thread installs its own; elsewhere the shared one.
pub mod pool {
    use std::cell::OnceCell;

    thread_local! {
        static LOCAL: OnceCell<reqwest::Client> = const { OnceCell::new() };
    }

    /// The serving thread's own client, when called on one.
    pub fn local() -> Option<reqwest::Client> {
        LOCAL.with(|c| c.get().cloned())
    }

    pub(super) fn install(client: reqwest::Client) {
        LOCAL.with(|c| {
            let _ = c.set(client);
        });
    }
}

struct Thread {
    streams: mpsc::UnboundedSender<std::net::TcpStream>,
    done: oneshot::Receiver<()>,
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for in-flight requests.
/// `client` builds each thread's upstream client.
pub async fn serve(listener: TcpListener, app: Router, client: impl Fn() -> reqwest::Client, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let count = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS);
    let threads = (0..count).map(|i| spawn(i, app.clone(), client())).collect::<std::io::Result<Vec<_>>>()?;
    tokio::pin!(shutdown);
    let mut next = 0;
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        // Without TCP_NODELAY a streamed chunk written after the headers waits for the
        // client's delayed ACK (~40 ms on Linux): a visible stall in time to first token.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        match stream.into_std() {
            Ok(stream) => {
                let _ = threads[next % count].streams.send(stream);
                next = next.wrapping_add(1);
            }
            Err(e) => tracing::debug!("cannot hand over a connection: {e}"),
        }
    }
    drop(listener);
    for thread in threads {
        drop(thread.streams);
        let _ = thread.done.await;
    }
    Ok(())
}

/// As `axum::serve` does: a connection that failed before it was accepted is the client's
/// business; anything else (out of file descriptors) is waited out rather than spun on.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!("cannot accept a connection: {e}");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}

fn spawn(index: usize, app: Router, client: reqwest::Client) -> std::io::Result<Thread> {
    let (streams, mut incoming) = mpsc::unbounded_channel::<std::net::TcpStream>();
    let (finished, done) = oneshot::channel();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name(format!("sluice-serve-{index}")).spawn(move || {
        pool::install(client);
        runtime.block_on(async move {
            let service = TowerToHyperService::new(app);
            let builder = http1::Builder::new();
            let graceful = GracefulShutdown::new();
            while let Some(stream) = incoming.recv().await {
                let stream = match tokio::net::TcpStream::from_std(stream) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!("cannot serve a handed-over connection: {e}");
                        continue;
                    }
                };
                let connection = builder.serve_connection(TokioIo::new(stream), service.clone());
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::trace!("connection ended: {e}");
                    }
                });
            }
            graceful.shutdown().await;
        });
        let _ = finished.send(());
    })?;
    Ok(Thread { streams, done })
}
