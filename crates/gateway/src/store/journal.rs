//! The request log's write-ahead journal.
//!
//! A request is answered only after its log record is durable, yet the SQLite transaction is
//! batched on the writer thread, off the request path. The bridge is this journal: the record
//! is appended to a segment file (one `write` into the page cache, which survives the process
//! being killed) before the answer goes out, and the writer deletes a segment once every
//! record in it is committed. At start-up, leftover segments are replayed into SQLite.

use super::writer::RequestRecord;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A segment is closed and a new one started past this size.
const SEGMENT_BYTES: u64 = 4 << 20;

pub struct Segment {
    path: PathBuf,
    /// Records appended but not yet committed to SQLite.
    pending: AtomicUsize,
    closed: AtomicBool,
}

impl Segment {
    /// Called by the writer after a commit and on close: removes the file once it is both
    /// closed and fully committed. Only the writer thread calls this, so no two race.
    pub fn settle(&self) {
        if self.closed.load(Ordering::Acquire) && self.pending.load(Ordering::Acquire) == 0 {
            if let Err(e) = std::fs::remove_file(&self.path) {
                tracing::warn!(path = %self.path.display(), "could not remove a committed journal segment: {e}");
            }
        }
    }

    pub fn committed(&self, n: usize) {
        self.pending.fetch_sub(n, Ordering::AcqRel);
    }
}

struct Open {
    file: File,
    bytes: u64,
    seq: u64,
    segment: Arc<Segment>,
}

pub struct Journal {
    dir: PathBuf,
    open: Mutex<Open>,
}

/// What `append` hands back: the segment to settle after commit, and one that was closed by
/// this append (to settle once queued work before it is done).
pub struct Appended {
    pub segment: Arc<Segment>,
    pub closed: Option<Arc<Segment>>,
}

impl Journal {
    /// Opens a new segment after `first_seq` (pass one past the highest replayed).
    pub fn create(dir: &Path, first_seq: u64) -> std::io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let open = open_segment(dir, first_seq)?;
        Ok(Journal { dir: dir.to_owned(), open: Mutex::new(open) })
    }

    pub fn append(&self, record: &RequestRecord) -> std::io::Result<Appended> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut open = self.open.lock().expect("journal lock");
        if let Err(e) = open.file.write_all(&line) {
            // A part of the line may be written (a full disk): cut it off, or the next record
            // would be appended to it and both would be skipped as torn at replay.
            let _ = open.file.set_len(open.bytes);
            return Err(e);
        }
        open.bytes += line.len() as u64;
        open.segment.pending.fetch_add(1, Ordering::AcqRel);
        let segment = open.segment.clone();
        let mut closed = None;
        if open.bytes >= SEGMENT_BYTES {
            let next = open_segment(&self.dir, open.seq + 1)?;
            let old = std::mem::replace(&mut *open, next);
            old.segment.closed.store(true, Ordering::Release);
            closed = Some(old.segment);
        }
        Ok(Appended { segment, closed })
    }
}

fn open_segment(dir: &Path, seq: u64) -> std::io::Result<Open> {
    let path = dir.join(format!("{seq:012}.jsonl"));
    let file = OpenOptions::new().create(true).append(true).open(&path)?;
    Ok(Open { file, bytes: 0, seq, segment: Arc::new(Segment { path, pending: AtomicUsize::new(0), closed: AtomicBool::new(false) }) })
}

/// Records left in segments by a process that stopped before committing them, and the files
/// to delete once they are committed. A torn last line (the process died mid-write) is skipped.
pub fn leftovers(dir: &Path) -> std::io::Result<(Vec<RequestRecord>, Vec<PathBuf>, u64)> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "jsonl")).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![], 0)),
        Err(e) => return Err(e),
    };
    files.sort();
    let next_seq = files.iter().filter_map(|p| p.file_stem()?.to_str()?.parse::<u64>().ok()).max().map_or(0, |s| s + 1);
    let mut records = Vec::new();
    for path in &files {
        for line in BufReader::new(File::open(path)?).lines() {
            match serde_json::from_str::<RequestRecord>(&line?) {
                Ok(r) => records.push(r),
                Err(e) => tracing::warn!(path = %path.display(), "skipping a torn journal line: {e}"),
            }
        }
    }
    Ok((records, files, next_seq))
}
