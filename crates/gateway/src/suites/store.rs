//! Suites and their runs in SQLite (schema migration 5). Reads take a read connection, writes
//! the write connection (`Store::write`), each in its own transaction.

use super::case::CaseSpec;
use super::report::{CaseResult, TargetTotals};
use super::run::{Reply, RunOptions};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct SuiteSummary {
    pub id: i64,
    pub name: String,
    pub cases: usize,
    pub updated_ms: i64,
    pub last_run: Option<RunSummary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Done,
    Cancelled,
}

impl RunState {
    fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> RunState {
        match s {
            "running" => RunState::Running,
            "done" => RunState::Done,
            _ => RunState::Cancelled,
        }
    }
}

/// What a run runs, fixed when it starts: the suite as it was, the options, and each target's
/// price then (USD per 1M input and output tokens), so old runs read as they ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub suite: String,
    pub specs: Vec<CaseSpec>,
    #[serde(flatten)]
    pub options: RunOptions,
    pub prices: BTreeMap<String, Option<[f64; 2]>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub id: i64,
    pub suite_id: i64,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub state: RunState,
    /// Each target's totals, once the run is done.
    pub totals: Option<Vec<TargetTotals>>,
}

/// A run with everything it has so far.
pub struct RunRecord {
    pub summary: RunSummary,
    pub plan: Plan,
    pub replies: Vec<(String, String, Result<Reply, String>)>,
    pub results: Vec<CaseResult>,
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("suite records serialize")
}

/// A stored JSON column that no longer parses is a database error, not a panic.
fn parse<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<SuiteSummary>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.name, s.updated_ms, (SELECT count(*) FROM suite_cases c WHERE c.suite_id = s.id),
            (SELECT max(r.id) FROM suite_runs r WHERE r.suite_id = s.id)
         FROM suites s ORDER BY s.name COLLATE NOCASE",
    )?;
    let rows: Vec<(i64, String, i64, usize, Option<i64>)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?.collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, name, updated_ms, cases, last)| {
            let last_run = match last {
                Some(run) => run_summary(conn, run)?,
                None => None,
            };
            Ok(SuiteSummary { id, name, cases, updated_ms, last_run })
        })
        .collect()
}

/// The suite's name and cases in order.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<(String, Vec<CaseSpec>)>> {
    let Some(name) = conn.query_row("SELECT name FROM suites WHERE id = ?1", [id], |r| r.get::<_, String>(0)).optional()? else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached("SELECT spec FROM suite_cases WHERE suite_id = ?1 ORDER BY position")?;
    let specs = stmt.query_map([id], |r| r.get::<_, String>(0))?.map(|s| parse(&s?)).collect::<Result<_, _>>()?;
    Ok(Some((name, specs)))
}

/// A new suite; `None` when the name is taken.
pub fn create(conn: &mut Connection, name: &str, specs: &[CaseSpec]) -> rusqlite::Result<Option<i64>> {
    let tx = conn.transaction()?;
    let now = crate::now_ms();
    let inserted = tx.execute("INSERT INTO suites (name, created_ms, updated_ms) VALUES (?1, ?2, ?2) ON CONFLICT (name) DO NOTHING", params![name, now])?;
    if inserted == 0 {
        return Ok(None);
    }
    let id = tx.last_insert_rowid();
    put_cases(&tx, id, specs)?;
    tx.commit()?;
    Ok(Some(id))
}

/// What `replace` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Replaced {
    Saved,
    /// No suite has that id.
    Gone,
    /// Another suite has that name.
    NameTaken,
}

/// Renames the suite and replaces its cases.
pub fn replace(conn: &mut Connection, id: i64, name: &str, specs: &[CaseSpec]) -> rusqlite::Result<Replaced> {
    let tx = conn.transaction()?;
    let taken: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM suites WHERE name = ?1 AND id != ?2)", params![name, id], |r| r.get(0))?;
    if tx.execute("UPDATE suites SET name = ?2, updated_ms = ?3 WHERE id = ?1 AND NOT ?4", params![id, name, crate::now_ms(), taken])? == 0 {
        let exists: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM suites WHERE id = ?1)", [id], |r| r.get(0))?;
        return Ok(if exists { Replaced::NameTaken } else { Replaced::Gone });
    }
    tx.execute("DELETE FROM suite_cases WHERE suite_id = ?1", [id])?;
    put_cases(&tx, id, specs)?;
    tx.commit()?;
    Ok(Replaced::Saved)
}

fn put_cases(tx: &rusqlite::Transaction, id: i64, specs: &[CaseSpec]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached("INSERT INTO suite_cases (suite_id, position, spec) VALUES (?1, ?2, ?3)")?;
    for (i, spec) in specs.iter().enumerate() {
        insert.execute(params![id, i, json(spec)])?;
    }
    Ok(())
}

/// Deletes the suite with its runs; `false` when there was none.
pub fn delete(conn: &mut Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM suites WHERE id = ?1", [id])? > 0)
}

pub fn start_run(conn: &mut Connection, suite_id: i64, plan: &Plan) -> rusqlite::Result<i64> {
    conn.execute("INSERT INTO suite_runs (suite_id, started_ms, state, plan) VALUES (?1, ?2, 'running', ?3)", params![suite_id, crate::now_ms(), json(plan)])?;
    Ok(conn.last_insert_rowid())
}

pub fn record_reply(conn: &mut Connection, run: i64, case: &str, target: &str, reply: &Result<Reply, String>) -> rusqlite::Result<()> {
    conn.execute("INSERT OR REPLACE INTO suite_answers (run_id, case_id, target, reply) VALUES (?1, ?2, ?3, ?4)", params![run, case, target, json(reply)])?;
    Ok(())
}

pub fn record_result(conn: &mut Connection, run: i64, result: &CaseResult) -> rusqlite::Result<()> {
    conn.execute("UPDATE suite_answers SET result = ?4 WHERE run_id = ?1 AND case_id = ?2 AND target = ?3", params![run, result.case, result.target, json(result)])?;
    Ok(())
}

/// Ends a running run (a run already ended stays as it ended); `totals` for a finished one.
pub fn finish(conn: &mut Connection, run: i64, state: RunState, totals: Option<&[TargetTotals]>) -> rusqlite::Result<bool> {
    let totals = totals.map(|t| json(&t));
    let changed = conn.execute(
        "UPDATE suite_runs SET state = ?2, finished_ms = ?3, totals = ?4 WHERE id = ?1 AND state = 'running'",
        params![run, state.as_str(), crate::now_ms(), totals],
    )?;
    Ok(changed > 0)
}

/// Marks a cancelled run as running again; `false` unless it was cancelled.
pub fn reopen(conn: &mut Connection, run: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("UPDATE suite_runs SET state = 'running', finished_ms = NULL WHERE id = ?1 AND state = 'cancelled'", [run])? > 0)
}

/// Runs a restart interrupted.
pub fn unfinished(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    conn.prepare("SELECT id FROM suite_runs WHERE state = 'running' ORDER BY id")?.query_map([], |r| r.get(0))?.collect()
}

fn run_summary(conn: &Connection, id: i64) -> rusqlite::Result<Option<RunSummary>> {
    conn.query_row("SELECT suite_id, started_ms, finished_ms, state, totals FROM suite_runs WHERE id = ?1", [id], |r| {
        let totals: Option<String> = r.get(4)?;
        Ok(RunSummary { id, suite_id: r.get(0)?, started_ms: r.get(1)?, finished_ms: r.get(2)?, state: RunState::parse(&r.get::<_, String>(3)?), totals: totals.map(|t| parse(&t)).transpose()? })
    })
    .optional()
}

/// A suite's runs, oldest first.
pub fn runs(conn: &Connection, suite_id: i64) -> rusqlite::Result<Vec<RunSummary>> {
    let ids: Vec<i64> = conn.prepare_cached("SELECT id FROM suite_runs WHERE suite_id = ?1 ORDER BY started_ms, id")?.query_map([suite_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    ids.into_iter().filter_map(|id| run_summary(conn, id).transpose()).collect()
}

pub fn run(conn: &Connection, id: i64) -> rusqlite::Result<Option<RunRecord>> {
    let Some(summary) = run_summary(conn, id)? else {
        return Ok(None);
    };
    let plan: Plan = parse(&conn.query_row("SELECT plan FROM suite_runs WHERE id = ?1", [id], |r| r.get::<_, String>(0))?)?;
    let mut stmt = conn.prepare_cached("SELECT case_id, target, reply, result FROM suite_answers WHERE run_id = ?1")?;
    let rows: Vec<(String, String, String, Option<String>)> = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
    let mut record = RunRecord { summary, plan, replies: Vec::with_capacity(rows.len()), results: Vec::new() };
    for (case, target, reply, result) in rows {
        if let Some(result) = result {
            record.results.push(parse(&result)?);
        }
        record.replies.push((case, target, parse(&reply)?));
    }
    Ok(Some(record))
}
