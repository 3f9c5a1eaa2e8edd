//! Reading, atomically writing and watching the config file.

use super::{Config, FieldError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {error}")]
    Invalid { path: PathBuf, error: FieldError },
}

/// Loads `path`; a missing file is `Ok(None)` so callers can fall back to defaults.
pub fn load_file(path: &Path) -> Result<Option<Config>, LoadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(LoadError::Read { path: path.to_owned(), source }),
    };
    Config::parse_toml(&text).map(Some).map_err(|error| LoadError::Invalid { path: path.to_owned(), error })
}

/// Writes through a temporary file and a rename, so a crash leaves the old file or the new
/// one, never half of each.
pub fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp-{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("config"), std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Notices hand edits by polling the file's modification time and size: one `stat` a second
/// costs nothing and, unlike inotify, survives editors that replace the file.
pub struct ConfigWatcher {
    path: PathBuf,
    seen: Option<(SystemTime, u64)>,
}

pub const WATCH_INTERVAL: Duration = Duration::from_millis(500);

impl ConfigWatcher {
    pub fn new(path: PathBuf) -> Self {
        let seen = stamp(&path);
        ConfigWatcher { path, seen }
    }

    /// Forget the current stamp's news (after we wrote the file ourselves).
    pub fn mark_seen(&mut self) {
        self.seen = stamp(&self.path);
    }

    /// True when the file changed since the last call.
    pub fn changed(&mut self) -> bool {
        let now = stamp(&self.path);
        if now != self.seen {
            self.seen = now;
            true
        } else {
            false
        }
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// `config` written over the file's current text: values that did not change keep their
/// formatting and the comments around them; entries of `[[providers]]`, `[[rules]]` and the
/// other lists are matched by their id or name, so a moved or edited rule keeps its comment.
/// A file that does not parse is replaced whole.
pub fn edit_in_place(old_text: &str, config: &Config) -> String {
    let fresh = config.to_toml();
    let (Ok(mut doc), Ok(new)) = (old_text.parse::<DocumentMut>(), fresh.parse::<DocumentMut>()) else { return fresh };
    merge_table(doc.as_table_mut(), new.as_table());
    renumber(doc.as_table_mut(), &mut 0);
    doc.to_string()
}

/// toml_edit prints sections by their position in the file they were read from; a list in a
/// new order needs new positions (each list's entries end up together).
fn renumber(table: &mut Table, next: &mut isize) {
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => {
                t.set_position(Some(*next));
                *next += 1;
                renumber(t, next);
            }
            Item::ArrayOfTables(list) => {
                for t in list.iter_mut() {
                    t.set_position(Some(*next));
                    *next += 1;
                    renumber(t, next);
                }
            }
            _ => {}
        }
    }
}

fn merge_table(old: &mut Table, new: &Table) {
    let gone: Vec<String> = old.iter().map(|(k, _)| k.to_owned()).filter(|k| !new.contains_key(k)).collect();
    for k in gone {
        old.remove(&k);
    }
    for (key, item) in new.iter() {
        match (old.get_mut(key), item) {
            (Some(o), n) if same(o, n) => {}
            (Some(Item::Table(o)), Item::Table(n)) => merge_table(o, n),
            (Some(Item::ArrayOfTables(o)), Item::ArrayOfTables(n)) => merge_list(o, n),
            (Some(Item::Value(o)), Item::Value(n)) => {
                let decor = o.decor().clone();
                *o = n.clone();
                *o.decor_mut() = decor;
            }
            (Some(o), n) => *o = n.clone(),
            // An empty list the file never had (`rules = []`) says nothing; leave it out.
            (None, Item::Value(toml_edit::Value::Array(a))) if a.is_empty() => {}
            (None, n) => {
                old.insert(key, n.clone());
            }
        }
    }
}

/// New entries in the new order, each merged into the old entry of the same identity.
fn merge_list(old: &mut ArrayOfTables, new: &ArrayOfTables) {
    let mut previous: Vec<Table> = old.iter().cloned().collect();
    let mut merged = ArrayOfTables::new();
    for n in new.iter() {
        let table = match previous.iter().position(|o| identity(o).is_some() && identity(o) == identity(n)) {
            Some(i) => {
                let mut o = previous.remove(i);
                merge_table(&mut o, n);
                o
            }
            None => n.clone(),
        };
        merged.push(table);
    }
    *old = merged;
}

fn identity(t: &Table) -> Option<String> {
    ["id", "name", "model"].iter().find_map(|k| t.get(k).and_then(|v| v.as_str()).map(|v| format!("{k}={v}")))
}

/// The same data, however it is written (inline table or section, spacing, quotes).
fn same(a: &Item, b: &Item) -> bool {
    let canonical = |i: &Item| {
        let mut doc = DocumentMut::new();
        doc.insert("v", i.clone());
        toml::from_str::<toml::Table>(&doc.to_string()).ok()
    };
    canonical(a).is_some_and(|x| Some(x) == canonical(b))
}
