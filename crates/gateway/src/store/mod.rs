//! SQLite in the data dir: the request log and the exact cache.
//!
//! One writer thread owns the only write connection and commits in batches; callers hand it
//! records through a bounded queue (back-pressure instead of unbounded memory) and may wait
//! for the commit. Reads use a small pool of read connections off the async runtime. WAL with
//! `synchronous=NORMAL`: a commit survives the process being killed, which is what `kill -9`
//! tests, at a fraction of the cost of an fsync per commit.

mod queries;
mod schema;
mod writer;

pub use queries::{cache_get, live_cache_keys, recent_requests, request_detail, stats, AttemptRow, RequestDetail, RequestRow, Stats, StoredAnswer};
pub use writer::{AttemptRecord, CacheInsert, RequestRecord};

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot};
use writer::Msg;

/// Records waiting for the writer; past this, senders wait (back-pressure).
const QUEUE: usize = 8192;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("the database writer has stopped")]
    WriterGone,
}

pub struct Store {
    path: PathBuf,
    tx: mpsc::Sender<Msg>,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens (creating and migrating) `dir/sluice.db` and starts the writer thread.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("sluice.db");
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let mut conn = Connection::open(&path).map_err(err)?;
        schema::prepare(&mut conn).map_err(err)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        writer::spawn(conn, rx, path.clone());
        Ok(Store { path, tx, readers: Mutex::new(Vec::new()) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues a request record, and the cache entry its answer makes, and waits until both
    /// are committed (the writer keeps queue order, so one acknowledgement covers both).
    pub async fn commit(&self, record: RequestRecord, cache: Option<CacheInsert>) -> Result<(), StoreError> {
        if let Some(entry) = cache {
            self.tx.send((writer::Op::CacheInsert(Box::new(entry)), None)).await.map_err(|_| StoreError::WriterGone)?;
        }
        self.send_acked(writer::Op::Request(Box::new(record))).await
    }

    /// Counts a hit; not waited for.
    pub async fn cache_hit(&self, key: [u8; 32], ts_ms: i64) {
        let _ = self.tx.send((writer::Op::CacheHit { key, ts_ms }, None)).await;
    }

    pub async fn purge_expired(&self, now_ms: i64) -> Result<(), StoreError> {
        self.send_acked(writer::Op::PurgeExpired { now_ms }).await
    }

    /// Waits until everything queued so far is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.send_acked(writer::Op::Barrier).await
    }

    async fn send_acked(&self, op: writer::Op) -> Result<(), StoreError> {
        let (ack, done) = oneshot::channel();
        self.tx.send((op, Some(ack))).await.map_err(|_| StoreError::WriterGone)?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(StoreError::Sqlite { path: self.path.clone(), source }),
            Err(_) => Err(StoreError::WriterGone),
        }
    }

    /// Runs `f` on a pooled read connection on the blocking pool.
    pub async fn read<T: Send + 'static>(
        self: &std::sync::Arc<Self>,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let err = |source| StoreError::Sqlite { path: store.path.clone(), source };
            let pooled = store.readers.lock().expect("reader pool lock").pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(&store.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(err)?;
                    c.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
                    c
                }
            };
            let out = f(&conn).map_err(err);
            store.readers.lock().expect("reader pool lock").push(conn);
            out
        })
        .await
        .expect("database read task panicked")
    }
}
