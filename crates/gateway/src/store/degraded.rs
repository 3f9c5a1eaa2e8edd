//! When `sluice.db` cannot be used at start (corrupt, from a newer Sluice, a data dir that
//! cannot be written, a full disk), the proxy still answers: the log goes to an in-memory
//! database for this run, and `/api/health` and the UI say so and why.
//!
//! Nothing already stored is touched: the file is left as it is for the person to look at.
//! While the data dir can be written, every record is still appended to the journal, and its
//! segments are kept (not removed after commit), so the next start that can open the file
//! replays this run into it: no answered request is lost. When even the journal cannot be
//! written, the run's log lives only in memory, and the message says that too.

use super::journal::{self, Journal};
use super::schema;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Where the log's database is.
pub(super) enum Db {
    File(PathBuf),
    /// A shared-cache in-memory database, by URI (each `Store` its own).
    Memory(String),
}

impl Db {
    /// A read connection. Readers of the in-memory database read uncommitted rows: its shared
    /// cache locks tables, and a reader must not fail while the writer commits.
    pub(super) fn reader(&self) -> rusqlite::Result<Connection> {
        let read = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match self {
            Db::File(path) => {
                let c = Connection::open_with_flags(path, read)?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(c)
            }
            Db::Memory(uri) => {
                let c = Connection::open_with_flags(uri, read | OpenFlags::SQLITE_OPEN_URI)?;
                c.pragma_update(None, "read_uncommitted", true)?;
                Ok(c)
            }
        }
    }
}

/// What happens to a record's journal line.
pub(super) enum Journaling {
    /// Appended, and its segment removed once committed to the file.
    Settled(Journal),
    /// Appended and kept: the database is in memory this run.
    Kept(Journal),
    /// The data dir cannot be written.
    Off,
}

/// Why the log is not what it should be, if it is not.
#[derive(Default)]
pub(super) struct Problems {
    /// Set at start for the whole run: the file could not be used.
    at_start: Option<String>,
    /// The writer's last failure, until a commit succeeds.
    pub last_write: Mutex<Option<String>>,
    /// The journal's last failure (a full disk), until an append succeeds.
    last_append: Mutex<Option<String>>,
    /// `last_append` is set: read on every request, so the lock is taken only when it changes.
    appends_failing: AtomicBool,
}

impl Problems {
    pub(super) fn new(at_start: Option<String>) -> Problems {
        Problems { at_start, ..Default::default() }
    }

    pub(super) fn current(&self) -> Option<String> {
        let later = self.last_write.lock().expect("log problem lock").clone().or_else(|| self.last_append.lock().expect("log problem lock").clone());
        // Both, when a degraded start is followed by a failing journal (a disk full at start:
        // the journal's file could be made, its lines cannot be written).
        match (self.at_start.clone(), later) {
            (Some(start), Some(later)) => Some(format!("{start}. Since then: {later}")),
            (start, later) => start.or(later),
        }
    }

    /// Notes how the latest journal append went.
    pub(super) fn journal(&self, failed: Option<&super::StoreError>) {
        if failed.is_none() && !self.appends_failing.load(Ordering::Acquire) {
            return;
        }
        *self.last_append.lock().expect("log problem lock") = failed.map(|e| format!("{e}; answers are not durable until it can be written again"));
        self.appends_failing.store(failed.is_some(), Ordering::Release);
    }
}

/// An in-memory database with the schema, the earlier runs' journal replayed into it (the
/// files kept), and a journal for this run if one can be written.
pub(super) fn open_memory(path: &Path, journal_dir: &Path, why: &str) -> rusqlite::Result<(Db, Connection, Journaling, String)> {
    static N: AtomicU64 = AtomicU64::new(0);
    let uri = format!("file:sluice-log-{}-{}?mode=memory&cache=shared", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let mut conn = Connection::open_with_flags(&uri, OpenFlags::default() | OpenFlags::SQLITE_OPEN_URI)?;
    schema::prepare(&mut conn)?;
    let (records, _, next_seq) = journal::leftovers(journal_dir).unwrap_or_default();
    super::writer::replay(&mut conn, records)?;
    let (journaling, kept) = match Journal::create(journal_dir, next_seq) {
        Ok(j) => (Journaling::Kept(j), format!("kept in memory and in {}, and goes into the database at the first start that can open it", journal_dir.display())),
        Err(e) => (Journaling::Off, format!("kept in memory only, and lost when Sluice stops: the journal cannot be written either ({e})")),
    };
    let problem = format!("the database {} cannot be used ({why}); requests are still answered, and this run's log is {kept}", path.display());
    Ok((Db::Memory(uri), conn, journaling, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_journal_after_a_degraded_start_is_said_too() {
        let problems = Problems::new(Some("the database cannot be used".into()));
        let full = super::super::StoreError::Journal { path: "journal".into(), source: std::io::Error::from_raw_os_error(28) };
        problems.journal(Some(&full));
        let said = problems.current().unwrap();
        assert!(said.starts_with("the database cannot be used. Since then: ") && said.contains("No space left on device"), "{said}");
        problems.journal(None);
        assert_eq!(problems.current().as_deref(), Some("the database cannot be used"));
    }
}
