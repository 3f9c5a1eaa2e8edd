//! What people and tools said of an answer (`POST /api/requests/{id}/feedback`): one verdict
//! per request, the latest kept.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Good,
    Bad,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::Bad => "bad",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestFeedback {
    pub verdict: Verdict,
    pub note: Option<String>,
    pub ts: i64,
}

pub fn record_feedback(conn: &mut Connection, request_id: &str, verdict: Verdict, note: Option<&str>, ts_ms: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO request_feedback (request_id, ts, verdict, note) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (request_id) DO UPDATE SET ts = excluded.ts, verdict = excluded.verdict, note = excluded.note",
        params![request_id, ts_ms, verdict.as_str(), note],
    )?;
    Ok(())
}

pub fn feedback_of(conn: &Connection, request_id: &str) -> rusqlite::Result<Option<RequestFeedback>> {
    conn.query_row("SELECT verdict, note, ts FROM request_feedback WHERE request_id = ?1", [request_id], |r| {
        let verdict = if r.get::<_, String>(0)? == "good" { Verdict::Good } else { Verdict::Bad };
        Ok(RequestFeedback { verdict, note: r.get(1)?, ts: r.get(2)? })
    })
    .optional()
}
