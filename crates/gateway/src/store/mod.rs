//! SQLite in the data dir: the request log and the exact cache.
//!
//! One writer thread owns the only write connection and commits in batches; callers hand it
//! records through a bounded queue (back-pressure instead of unbounded memory). A log record
//! is first appended to a journal (see `journal`), so it is durable before the answer goes out
//! without the request waiting for a transaction. Reads use a small pool of read connections
//! off the async runtime; what a person looks at is read with `read_logged`, which first lets
//! the writer commit what is queued (the request path's own reads do not wait for it). WAL with `synchronous=NORMAL`: commits survive the process being
//! killed, at a fraction of the cost of an fsync per commit.

mod bit_index;
mod degraded;
mod entries;
mod feedback;
mod journal;
mod quality;
mod queries;
mod schema;
mod usage;
mod vectors;
mod writer;

pub use feedback::{feedback_of, record_feedback, RequestFeedback, Verdict};
pub use entries::{cache_counts, cache_entries, cache_entry_exists, entry_partition, parse_entry_id, CacheCounts, CacheEntryRow};
pub use quality::{change, current_thresholds, examples, record_example, quality_records, quality_spent_since, record_change, record_verdict, Agreement, DayAgreement, NewChange, QualityRecords, ThresholdChange, VerdictRow};
pub use queries::{cache_get, live_cache_keys, recent_requests, request_detail, rule_stats, spend_since, stats, RuleStats, AttemptRow, RequestDetail, RequestFilter, RequestRow, Stats, StoredAnswer};
pub use usage::{totals, usage, DayUsage, ModelUsage, Totals, UsageReport, UsageTotals};
pub use schema::load_vector_extension;
pub use vectors::{insert as insert_vector, search as search_vectors, sign_bits, Candidate, SemanticRow, DIMS};
pub use writer::{AttemptRecord, CacheInsert, Feedback, RequestRecord, SemanticMatch};

use bit_index::{BitIndex, SharedIndex};
use degraded::{Db, Journaling, Problems};
use journal::Journal;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use writer::{Msg, Op};

/// Records waiting for the writer; past this, senders wait (back-pressure).
const QUEUE: usize = 8192;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("request journal in {path}: {source}")]
    Journal { path: PathBuf, source: std::io::Error },
    #[error("the database writer has stopped")]
    WriterGone,
}

pub struct Store {
    /// The file, also when it could not be used (for messages).
    path: PathBuf,
    db: Db,
    journal: Journaling,
    journal_dir: PathBuf,
    tx: mpsc::Sender<Msg>,
    /// Messages sent to the writer and not yet done with.
    unsettled: Arc<AtomicUsize>,
    problems: Arc<Problems>,
    readers: Mutex<Vec<Connection>>,
    /// The semantic cache's search index (`bit_index`), updated by the writer after commits.
    vectors: Arc<SharedIndex>,
}

impl Store {
    /// Opens (creating and migrating) `dir/sluice.db`, replays what an earlier process left in
    /// the journal, and starts the writer thread. A file that cannot be used leaves the log in
    /// memory for this run (`degraded`); only an unusable in-memory database is an error.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("sluice.db");
        let journal_dir = dir.join("journal");
        schema::load_vector_extension();
        let (db, conn, journal, problem) = match open_file(&path, &journal_dir) {
            Ok((conn, journal)) => (Db::File(path.clone()), conn, Journaling::Settled(journal), None),
            Err(why) => {
                let (db, conn, journal, problem) = degraded::open_memory(&path, &journal_dir, &why).map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
                tracing::error!("{problem}");
                (db, conn, journal, Some(problem))
            }
        };
        let vectors = Arc::new(SharedIndex::loading());
        let problems = Arc::new(Problems::new(problem));
        let (tx, rx) = mpsc::channel(QUEUE);
        let unsettled = Arc::new(AtomicUsize::new(0));
        let store = Store { path, db, journal, journal_dir, tx, unsettled, problems, readers: Mutex::new(Vec::new()), vectors };
        load_index(&store, store.vectors.clone());
        writer::spawn(conn, rx, store.path.clone(), store.vectors.clone(), store.unsettled.clone(), store.problems.clone());
        Ok(store)
    }

    /// Why the log is degraded, if it is: the file could not be used at start, or the last
    /// write failed.
    pub fn problem(&self) -> Option<String> {
        self.problems.current()
    }

    /// Makes a request record durable (journal) and queues it, with the cache entry its answer
    /// makes, for the next batched transaction.
    pub async fn log(&self, record: RequestRecord, cache: Option<CacheInsert>) -> Result<(), StoreError> {
        let (appended, failed) = match &self.journal {
            Journaling::Settled(j) | Journaling::Kept(j) => match j.append(&record) {
                Ok(a) => (Some(a), None),
                Err(source) => (None, Some(StoreError::Journal { path: self.journal_dir.clone(), source })),
            },
            Journaling::Off => (None, None),
        };
        self.problems.journal(failed.as_ref());
        // Kept segments are never handed to the writer, which would remove them once committed.
        let appended = appended.filter(|_| matches!(self.journal, Journaling::Settled(_)));
        if let Some(entry) = cache {
            self.send(Op::CacheInsert(Box::new(entry))).await?;
        }
        // Not durable without its journal line, but the database may still take it.
        let (segment, closed) = appended.map_or((None, None), |a| (Some(a.segment), a.closed));
        self.send(Op::Request(Box::new(record), segment)).await?;
        if let Some(closed) = closed {
            self.send(Op::Close(closed)).await?;
        }
        failed.map_or(Ok(()), Err)
    }

    /// Adds hit counts gathered in memory.
    pub async fn cache_hits(&self, hits: Vec<([u8; 32], u64, i64)>) -> Result<(), StoreError> {
        self.send(Op::CacheHits(hits)).await
    }

    /// Records feedback on an entry; `remove` also deletes it (with its vector).
    pub async fn cache_feedback(&self, key: [u8; 32], feedback: Feedback, request_id: Option<String>, remove: bool) -> Result<(), StoreError> {
        self.send(Op::CacheFeedback { key, feedback, request_id, ts_ms: crate::now_ms(), remove }).await
    }

    /// Removes every cache entry.
    pub async fn cache_clear(&self) -> Result<(), StoreError> {
        self.send(Op::CacheClear).await
    }

    /// Drops expired cache entries and log records older than `retention_days` (0 = none).
    pub async fn purge(&self, now_ms: i64, retention_days: u32) -> Result<(), StoreError> {
        let requests_before_ms = (retention_days > 0).then(|| now_ms - i64::from(retention_days) * 86_400_000);
        self.send(Op::Purge { now_ms, requests_before_ms }).await
    }

    /// Waits until everything queued so far is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (ack, done) = oneshot::channel();
        self.queue((Op::Barrier, Some(ack))).await?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(StoreError::Sqlite { path: self.path.clone(), source }),
            Err(_) => Err(StoreError::WriterGone),
        }
    }

    /// Moves the WAL's pages into the file and empties the WAL, so a stopped Sluice's log is in
    /// `sluice.db` alone (a user copying just that file gets all of it).
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.write(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))).await
    }

    /// Runs `f` on the write connection between batches; `f` makes its own transaction.
    pub async fn write<T: Send + 'static>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        let work = move |conn: &mut Connection| {
            let _ = answer.send(f(conn));
        };
        self.send(Op::Own(Box::new(work))).await?;
        let result = answered.await.map_err(|_| StoreError::WriterGone)?;
        result.map_err(|source| StoreError::Sqlite { path: self.path.clone(), source })
    }

    async fn send(&self, op: Op) -> Result<(), StoreError> {
        self.queue((op, None)).await
    }

    async fn queue(&self, msg: Msg) -> Result<(), StoreError> {
        self.unsettled.fetch_add(1, Ordering::AcqRel);
        self.tx.send(msg).await.map_err(|_| StoreError::WriterGone)
    }

    /// The live entries of `partition` whose embeddings' sign bits are nearest to `query`'s,
    /// unranked: `best_match` ranks them by cosine.
    pub async fn nearest(self: &Arc<Self>, partition: String, query: Vec<f32>, now_ms: i64) -> Result<Vec<Candidate>, StoreError> {
        let store = self.clone();
        self.read(move |conn| {
            let bits = vectors::sign_bits(&query);
            let rowids = match store.vectors.nearest(&partition, &bit_index::pack(&bits), vectors::PREFILTER) {
                Some(rowids) => rowids,
                None => vectors::search(conn, &partition, &bits)?,
            };
            vectors::candidates(conn, rowids, now_ms)
        })
        .await
    }

    /// Blocks until the semantic search index is loaded (searches ask sqlite-vec before).
    pub fn wait_index_loaded(&self) {
        self.vectors.wait_loaded();
    }

    /// `read`, once everything queued before it is committed: every request already answered
    /// is in what it reads.
    pub async fn read_logged<T: Send + 'static>(self: &Arc<Self>, f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static) -> Result<T, StoreError> {
        if self.unsettled.load(Ordering::Acquire) > 0 {
            self.flush().await?;
        }
        self.read(f).await
    }

    /// Runs `f` on a pooled read connection on the blocking pool. What was queued moments ago
    /// may not be committed yet (`read_logged` waits for it).
    pub async fn read<T: Send + 'static>(self: &Arc<Self>, f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static) -> Result<T, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let err = |source| StoreError::Sqlite { path: store.path.clone(), source };
            let pooled = store.readers.lock().expect("reader pool lock").pop();
            let conn = match pooled {
                Some(c) => c,
                None => store.db.reader().map_err(err)?,
            };
            let out = f(&conn).map_err(err);
            store.readers.lock().expect("reader pool lock").push(conn);
            out
        })
        .await
        .expect("database read task panicked")
    }
}

/// The file, migrated, with the earlier runs' journal replayed into it, and this run's
/// journal; or why the file cannot be used.
fn open_file(path: &Path, journal_dir: &Path) -> Result<(Connection, Journal), String> {
    let mut conn = Connection::open(path).map_err(|e| e.to_string())?;
    schema::prepare(&mut conn).map_err(|e| e.to_string())?;
    let in_journal = |e: std::io::Error| format!("the journal in {}: {e}", journal_dir.display());
    let (records, files, next_seq) = journal::leftovers(journal_dir).map_err(in_journal)?;
    writer::replay(&mut conn, records).map_err(|e| e.to_string())?;
    for f in files {
        std::fs::remove_file(&f).map_err(in_journal)?;
    }
    let journal = Journal::create(journal_dir, next_seq).map_err(in_journal)?;
    Ok((conn, journal))
}

/// Reads the search index from `cache_vectors` on its own thread, so a large cache does not
/// hold up start-up; a failure leaves semantic search with only what is written from now on.
fn load_index(store: &Store, into: Arc<SharedIndex>) {
    let (reader, path) = (store.db.reader(), store.path.clone());
    let load = move || {
        let loaded = reader.and_then(|c| BitIndex::load(&c));
        into.loaded(loaded.unwrap_or_else(|e| {
            tracing::error!(db = %path.display(), "cannot read the semantic cache's vectors; earlier entries answer exact repeats only: {e}");
            BitIndex::default()
        }));
    };
    std::thread::Builder::new().name("sluice-index-load".into()).spawn(load).expect("spawn the index loader");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheStatus;
    use std::io::Write;

    fn record(id: &str) -> RequestRecord {
        RequestRecord {
            id: id.into(),
            ts_ms: 1,
            model_requested: "m".into(),
            client_api: Default::default(),
            provider: Some("p".into()),
            model: Some("m".into()),
            cache: CacheStatus::Miss,
            status: 200,
            latency_ms: 1.0,
            ttft_ms: None,
            stream: false,
            usage: None,
            tokens_estimated: false,
            cost_usd: None,
            saved_usd: None,
            error: None,
            cache_key: Some([7; 32]),
            attempts: vec![AttemptRecord { provider: "p".into(), model: "m".into(), status: Some(200), error: None, latency_ms: 1.0 }],
            request_body: None,
            response_body: None,
            semantic: None,
            left_out: Vec::new(),
            rule: crate::router::DEFAULT_RULE.into(),
            difficulty: None,
            tags: Vec::new(),
            compressed: None,
            compress_note: None,
        }
    }

    fn ids(store: &Arc<Store>, rt: &tokio::runtime::Runtime) -> Vec<String> {
        let mut ids: Vec<String> = rt.block_on(store.read(|c| recent_requests(c, 1000, &RequestFilter::default()))).unwrap().into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    }

    #[test]
    fn journal_leftovers_are_replayed_and_a_torn_line_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal");
        std::fs::create_dir_all(&journal).unwrap();
        let mut f = std::fs::File::create(journal.join("000000000004.jsonl")).unwrap();
        for id in ["a", "b"] {
            writeln!(f, "{}", serde_json::to_string(&record(id)).unwrap()).unwrap();
        }
        write!(f, "{{\"id\": \"c\", \"ts_m").unwrap();
        drop(f);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        assert_eq!(ids(&store, &rt), ["a", "b"]);
        let left: Vec<_> = std::fs::read_dir(&journal).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(left, ["000000000005.jsonl"], "replayed segments are gone; numbering continues");
    }

    #[test]
    fn purge_drops_old_requests_with_their_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let day = 86_400_000;
        let now = 100 * day;
        rt.block_on(async {
            for (id, age_days) in [("old", 31), ("new", 29)] {
                let mut r = record(id);
                r.ts_ms = now - age_days * day;
                store.log(r, None).await.unwrap();
            }
            store.purge(now, 30).await.unwrap();
            store.flush().await.unwrap();
        });
        assert_eq!(ids(&store, &rt), ["new"]);
        assert_eq!(rt.block_on(store.read(stats)).unwrap().upstream_calls, 1, "attempts go with their request");
    }

    #[test]
    fn a_database_and_journal_that_cannot_be_written_leave_the_log_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        // Neither can be opened as what it should be (as in a read-only data dir, even as root).
        std::fs::create_dir(dir.path().join("sluice.db")).unwrap();
        std::fs::write(dir.path().join("journal"), "a file, not a folder").unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let problem = store.problem().expect("the log says it is degraded");
        assert!(problem.contains("sluice.db") && problem.contains("kept in memory only"), "{problem}");
        rt.block_on(async {
            store.log(record("kept"), None).await.unwrap();
            store.flush().await.unwrap();
        });
        assert_eq!(ids(&store, &rt), ["kept"]);
        assert!(dir.path().join("sluice.db").is_dir() && dir.path().join("journal").is_file(), "nothing on disk is touched");
        assert_eq!(store.problem(), Some(problem), "a degraded start stays said for the run");
    }

    #[test]
    fn a_full_database_is_said_and_its_records_wait_in_the_journal_for_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        // As full as a disk with no room left: no page past those the file has now.
        rt.block_on(store.write(|c| {
            let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            c.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
        }))
        .unwrap();
        let logged: Vec<String> = (0..50).map(|i| format!("r{i:02}")).collect();
        rt.block_on(async {
            for id in &logged {
                let mut r = record(id);
                r.request_body = Some("x".repeat(8000));
                store.log(r, None).await.unwrap();
            }
            // Whether the flush's own batch held a failing write depends on batching.
            let _ = store.flush().await;
        });
        let problem = store.problem().expect("said");
        assert!(problem.contains("full"), "{problem}");
        drop(store);
        let reopened = Arc::new(Store::open(dir.path()).unwrap());
        assert_eq!(reopened.problem(), None);
        assert_eq!(ids(&reopened, &rt), logged, "every record acknowledged is in the log after the next start");
    }

    /// A cache entry with a vector: unit vector along dimension `axis`, mostly.
    fn semantic_entry(key: u8, axis: usize, expires_ms: Option<i64>) -> CacheInsert {
        let mut embedding = vec![0.01f32; DIMS];
        embedding[axis] = 1.0;
        CacheInsert {
            key: [key; 32],
            model_requested: "m".into(),
            provider: "p".into(),
            model: "m".into(),
            response: bytes::Bytes::from_static(b"{}"),
            chunks: None,
            usage: crate::wire::Usage::default(),
            created_ms: 1,
            expires_ms,
            question: Some(format!("last turn {key}")),
            semantic: Some(SemanticRow { partition: "part".into(), question: format!("question {key}"), embedding }),
        }
    }

    fn near(store: &Arc<Store>, rt: &tokio::runtime::Runtime, axis: usize, now_ms: i64) -> Vec<String> {
        let mut query = vec![0.01f32; DIMS];
        query[axis] = 1.0;
        let mut found: Vec<String> = rt.block_on(store.nearest("part".into(), query, now_ms)).unwrap().into_iter().map(|c| c.question).collect();
        found.sort();
        found
    }

    #[test]
    fn the_search_index_follows_inserts_invalidation_expiry_and_clearing_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        store.wait_index_loaded();
        rt.block_on(async {
            for (key, axis, expires) in [(1, 0, None), (2, 1, None), (3, 2, Some(50)), (4, 3, None)] {
                store.log(record(&format!("r{key}")), Some(semantic_entry(key, axis, expires))).await.unwrap();
            }
            store.cache_feedback([2; 32], Feedback::Invalidated, None, true).await.unwrap();
            store.purge(100, 0).await.unwrap();
            store.flush().await.unwrap();
        });
        // The index itself, not only the entry rows, has let go of the removed ones.
        let index_rowids = |store: &Arc<Store>| {
            let query = bit_index::pack(&vectors::sign_bits(&[0.5f32; DIMS]));
            store.vectors.nearest("part", &query, 100).expect("the index is loaded").len()
        };
        assert_eq!(index_rowids(&store), 2, "invalidated and expired vectors left the index");
        assert_eq!(near(&store, &rt, 0, 100), ["question 1", "question 4"]);
        drop(store);

        let store = Arc::new(Store::open(dir.path()).unwrap());
        store.wait_index_loaded();
        assert_eq!(near(&store, &rt, 3, 100), ["question 1", "question 4"], "reloaded from cache_vectors");
        rt.block_on(async {
            store.cache_clear().await.unwrap();
            store.flush().await.unwrap();
        });
        assert_eq!(index_rowids(&store), 0);
    }

    #[test]
    fn sqlite_vec_finds_what_the_index_finds_for_searches_while_it_loads() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        // Entry i differs from the query in its first i signs: one nearest set, no ties.
        let entry = |i: usize, partition: &str| {
            let mut e = semantic_entry(i as u8, 0, None);
            let embedding = (0..DIMS).map(|d| if d < i { -0.1 } else { 0.1 }).collect();
            e.semantic = Some(SemanticRow { partition: partition.into(), question: format!("q{i}"), embedding });
            e
        };
        rt.block_on(async {
            for i in 0..vectors::PREFILTER + 8 {
                store.log(record(&format!("r{i}")), Some(entry(i, "part"))).await.unwrap();
            }
            store.log(record("other"), Some(entry(200, "other"))).await.unwrap();
            store.flush().await.unwrap();
        });
        store.wait_index_loaded();
        let bits = vectors::sign_bits(&[0.1f32; DIMS]);
        let mut from_index = store.vectors.nearest("part", &bit_index::pack(&bits), vectors::PREFILTER).unwrap();
        let mut from_sqlite = rt.block_on(store.read(move |conn| vectors::search(conn, "part", &bits))).unwrap();
        from_index.sort();
        from_sqlite.sort();
        assert_eq!(from_index.len(), vectors::PREFILTER);
        assert_eq!(from_sqlite, from_index);
        assert!(from_sqlite.iter().all(|&rowid| rowid <= vectors::PREFILTER as i64), "the nearest of partition \"part\" only: {from_sqlite:?}");
    }

    #[test]
    fn every_entry_can_be_searched_and_an_embedded_one_keeps_the_question_it_was_embedded_with() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let exact_only = CacheInsert { semantic: None, ..semantic_entry(1, 0, None) };
        // The same request stored again while the model is not ready: no new vector.
        let embedded_then_exact = [semantic_entry(2, 1, None), CacheInsert { semantic: None, ..semantic_entry(2, 1, None) }];
        rt.block_on(async {
            store.log(record("r1"), Some(exact_only)).await.unwrap();
            for (i, entry) in embedded_then_exact.into_iter().enumerate() {
                store.log(record(&format!("r2-{i}")), Some(entry)).await.unwrap();
            }
            store.flush().await.unwrap();
        });
        let list = |search: &'static str| {
            let rows = rt.block_on(store.read(move |c| cache_entries(c, Some(search), 10, 0))).unwrap();
            rows.into_iter().map(|r| (r.question.unwrap_or_default(), r.semantic)).collect::<Vec<_>>()
        };
        assert_eq!(list("turn 1"), [("last turn 1".to_owned(), false)]);
        assert_eq!(list("question 2"), [("question 2".to_owned(), true)]);
    }

    #[test]
    fn committed_records_leave_the_journal_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        rt.block_on(async {
            let writers: Vec<_> = (0..8)
                .map(|w| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        for i in 0..50 {
                            store.log(record(&format!("{w}-{i:02}")), None).await.unwrap();
                        }
                    })
                })
                .collect();
            for w in writers {
                w.await.unwrap();
            }
            store.flush().await.unwrap();
        });
        assert_eq!(ids(&store, &rt).len(), 400);
        let stats = rt.block_on(store.read(stats)).unwrap();
        assert_eq!((stats.totals.requests, stats.upstream_calls), (400, 400));
        drop(store);
        let store = Arc::new(Store::open(dir.path()).unwrap());
        assert_eq!(ids(&store, &rt).len(), 400);
    }
}
