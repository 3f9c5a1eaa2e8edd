//! The quality loop's records: verdicts on sampled answers, and the moves of semantic
//! thresholds they caused, read back for the Quality page.

use crate::quality::{Kind, Verdict};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct VerdictRow {
    pub request_id: String,
    pub ts: i64,
    pub kind: Kind,
    pub rule: String,
    /// `provider/model` that gave the cheap answer.
    pub target: String,
    /// What the reference was asked of (a model or a route).
    pub reference: String,
    pub partition: Option<String>,
    pub similarity: Option<f32>,
    pub verdict: Verdict,
    pub reason: String,
    pub question: String,
    pub answer: String,
    pub reference_answer: Option<String>,
    /// The reference's answer and the judge, together.
    pub cost_usd: f64,
    /// What the sampled request saved.
    pub saved_usd: Option<f64>,
}

pub fn record_verdict(conn: &Connection, v: &VerdictRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO quality_verdicts (request_id, ts, kind, rule, target, reference, partition, similarity, verdict, reason,
            question, answer, reference_answer, cost_usd, saved_usd) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![v.request_id, v.ts, v.kind.as_str(), v.rule, v.target, v.reference, v.partition, v.similarity, v.verdict.as_str(), v.reason,
            v.question, v.answer, v.reference_answer, v.cost_usd, v.saved_usd],
    )?;
    Ok(())
}

/// One move of a partition's threshold.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdChange {
    pub id: i64,
    pub ts: i64,
    pub partition: String,
    pub rule: String,
    pub from: f64,
    pub to: f64,
    pub reason: String,
    /// The verdict's request, when one caused it.
    pub request_id: Option<String>,
    /// The change this one undid.
    pub undoes: Option<i64>,
    /// A later change undid this one.
    pub undone: bool,
}

pub struct NewChange {
    pub ts: i64,
    pub partition: String,
    pub rule: String,
    pub from: f32,
    pub to: f32,
    pub reason: String,
    pub request_id: Option<String>,
    pub undoes: Option<i64>,
}

pub fn record_change(conn: &Connection, c: NewChange) -> rusqlite::Result<ThresholdChange> {
    // Thresholds are kept to 4 decimals (f32's 0.95 would read back as 0.949999988).
    let four = |x: f32| (f64::from(x) * 1e4).round() / 1e4;
    let (from, to) = (four(c.from), four(c.to));
    conn.execute(
        "INSERT INTO threshold_changes (ts, partition, rule, from_value, to_value, reason, request_id, undoes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![c.ts, c.partition, c.rule, from, to, c.reason, c.request_id, c.undoes],
    )?;
    let id = conn.last_insert_rowid();
    Ok(ThresholdChange { id, ts: c.ts, partition: c.partition, rule: c.rule, from, to, reason: c.reason, request_id: c.request_id, undoes: c.undoes, undone: false })
}

const CHANGE_COLUMNS: &str = "id, ts, partition, rule, from_value, to_value, reason, request_id, undoes,
    EXISTS (SELECT 1 FROM threshold_changes u WHERE u.undoes = c.id)";

fn change_row(r: &rusqlite::Row) -> rusqlite::Result<ThresholdChange> {
    Ok(ThresholdChange { id: r.get(0)?, ts: r.get(1)?, partition: r.get(2)?, rule: r.get(3)?, from: r.get(4)?, to: r.get(5)?, reason: r.get(6)?, request_id: r.get(7)?, undoes: r.get(8)?, undone: r.get(9)? })
}

pub fn change(conn: &Connection, id: i64) -> rusqlite::Result<Option<ThresholdChange>> {
    conn.query_row(&format!("SELECT {CHANGE_COLUMNS} FROM threshold_changes c WHERE id = ?1"), [id], change_row).optional()
}

pub fn changes(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<ThresholdChange>> {
    conn.prepare(&format!("SELECT {CHANGE_COLUMNS} FROM threshold_changes c ORDER BY id DESC LIMIT ?1"))?.query_map([limit], change_row)?.collect()
}

/// Every partition's current threshold and its rule, from the latest move of each.
pub fn current_thresholds(conn: &Connection) -> rusqlite::Result<Vec<(String, String, f32)>> {
    conn.prepare("SELECT partition, rule, to_value FROM threshold_changes WHERE id IN (SELECT MAX(id) FROM threshold_changes GROUP BY partition)")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, f64>(2)? as f32)))?
        .collect()
}

/// What sampling spent since `since_ms`.
pub fn quality_spent_since(conn: &Connection, since_ms: i64) -> rusqlite::Result<f64> {
    conn.query_row("SELECT COALESCE(SUM(cost_usd), 0) FROM quality_verdicts WHERE ts >= ?1", [since_ms], |r| r.get(0))
}

/// Verdicts on one rule, target or partition.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    pub name: String,
    /// A partition's rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub agree: u64,
    pub disagree: u64,
    pub unknown: u64,
    pub cost_usd: f64,
    /// What the group's requests saved in the period (all of them, not only those sampled).
    pub saved_usd: f64,
}

/// `by` is the column verdicts are grouped on; `saved` sums the requests table by the same
/// key (partitions are not in the request log, so theirs is what their samples saved).
fn agreements(conn: &Connection, since_ms: i64, by: &str, saved: Option<&str>) -> rusqlite::Result<Vec<Agreement>> {
    let saved = match saved {
        Some(key) => format!("(SELECT COALESCE(SUM(saved_usd), 0) FROM requests r WHERE r.ts >= ?1 AND {key} = v.{by})"),
        None => "COALESCE(SUM(saved_usd), 0)".to_owned(),
    };
    let sql = format!(
        "SELECT {by}, MAX(rule), SUM(verdict = 'agree'), SUM(verdict = 'disagree'), SUM(verdict = 'unknown'), SUM(cost_usd), {saved}
         FROM quality_verdicts v WHERE ts >= ?1 AND {by} IS NOT NULL GROUP BY {by} ORDER BY COUNT(*) DESC LIMIT 200"
    );
    let rule_column = by == "partition";
    conn.prepare(&sql)?
        .query_map([since_ms], |r| {
            Ok(Agreement {
                name: r.get(0)?,
                rule: if rule_column { r.get(1)? } else { None },
                agree: r.get(2)?,
                disagree: r.get(3)?,
                unknown: r.get(4)?,
                cost_usd: r.get(5)?,
                saved_usd: r.get(6)?,
            })
        })?
        .collect()
}

/// A rule's verdicts on one UTC day.
#[derive(Debug, Clone, Serialize)]
pub struct DayAgreement {
    pub day: i64,
    pub rule: String,
    pub agree: u64,
    pub disagree: u64,
}

#[derive(Debug, Serialize)]
pub struct QualityRecords {
    pub rules: Vec<Agreement>,
    pub targets: Vec<Agreement>,
    pub partitions: Vec<Agreement>,
    pub days: Vec<DayAgreement>,
    /// The latest, newest first.
    pub disagreements: Vec<VerdictRow>,
    pub changes: Vec<ThresholdChange>,
}

const DAY_MS: i64 = 86_400_000;

pub fn quality_records(conn: &Connection, since_ms: i64) -> rusqlite::Result<QualityRecords> {
    let days = conn
        .prepare(
            "SELECT (ts / ?2) * ?2, rule, SUM(verdict = 'agree'), SUM(verdict = 'disagree') FROM quality_verdicts
             WHERE ts >= ?1 AND verdict != 'unknown' GROUP BY 1, 2 ORDER BY 1, 2",
        )?
        .query_map(params![since_ms, DAY_MS], |r| Ok(DayAgreement { day: r.get(0)?, rule: r.get(1)?, agree: r.get(2)?, disagree: r.get(3)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let disagreements = conn
        .prepare(
            "SELECT request_id, ts, kind, rule, target, reference, partition, similarity, verdict, reason, question, answer, reference_answer, cost_usd, saved_usd
             FROM quality_verdicts WHERE verdict = 'disagree' ORDER BY ts DESC LIMIT 20",
        )?
        .query_map([], |r| {
            Ok(VerdictRow {
                request_id: r.get(0)?,
                ts: r.get(1)?,
                kind: Kind::parse(&r.get::<_, String>(2)?),
                rule: r.get(3)?,
                target: r.get(4)?,
                reference: r.get(5)?,
                partition: r.get(6)?,
                similarity: r.get(7)?,
                verdict: Verdict::parse(&r.get::<_, String>(8)?),
                reason: r.get(9)?,
                question: r.get(10)?,
                answer: r.get(11)?,
                reference_answer: r.get(12)?,
                cost_usd: r.get(13)?,
                saved_usd: r.get(14)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(QualityRecords {
        rules: agreements(conn, since_ms, "rule", Some("r.rule"))?,
        targets: agreements(conn, since_ms, "target", Some("r.provider || '/' || r.model"))?,
        partitions: agreements(conn, since_ms, "partition", None)?,
        days,
        disagreements,
        changes: changes(conn, 100)?,
    })
}

/// A prompt a verdict labelled for the difficulty router.
pub fn record_example(conn: &Connection, request_id: &str, ts: i64, embedding: &[f32], needs_strong: bool) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO difficulty_examples (request_id, ts, embedding, needs_strong) VALUES (?1, ?2, ?3, ?4)",
        params![request_id, ts, super::vectors::to_blob(embedding), needs_strong],
    )?;
    Ok(())
}

/// The latest `limit` labelled prompts, oldest first.
pub fn examples(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<(Vec<f32>, bool)>> {
    let mut rows: Vec<(Vec<f32>, bool)> = conn
        .prepare("SELECT embedding, needs_strong FROM difficulty_examples ORDER BY ts DESC LIMIT ?1")?
        .query_map([limit as i64], |r| Ok((super::vectors::from_blob(&r.get::<_, Vec<u8>>(0)?), r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.reverse();
    Ok(rows)
}
