//! Spend and savings over a period, for the dashboard: totals, a day-by-day series (in the
//! viewer's time zone) and a breakdown by provider and model.

use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct UsageReport {
    pub since: i64,
    pub totals: UsageTotals,
    /// Only days with requests; the UI fills the gaps.
    pub days: Vec<DayUsage>,
    pub by_model: Vec<ModelUsage>,
}

/// What the request log adds up to since a moment (all time for `/api/stats`).
#[derive(Debug, Serialize)]
pub struct Totals {
    pub requests: u64,
    pub cache_hits: u64,
    pub semantic_hits: u64,
    pub errors: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_usd: f64,
    pub saved_usd: f64,
    /// Answered upstream calls whose model has no known price (their cost counts as 0 above).
    pub unpriced_requests: u64,
    /// Compression, apart from caching and routing: requests compressed, input tokens not
    /// sent, and the input cost that saved.
    pub compressed_requests: u64,
    pub compressed_tokens_saved: u64,
    pub compressed_saved_usd: f64,
}

#[derive(Debug, Serialize)]
pub struct UsageTotals {
    #[serde(flatten)]
    pub totals: Totals,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct DayUsage {
    /// Start of the day in Unix ms (midnight in the viewer's zone).
    pub day: i64,
    pub requests: u64,
    pub cost_usd: f64,
    pub saved_usd: f64,
}

#[derive(Debug, Serialize)]
pub struct ModelUsage {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub requests: u64,
    pub cache_hits: u64,
    pub tokens: u64,
    pub cost_usd: f64,
    pub saved_usd: f64,
}

const DAY_MS: i64 = 86_400_000;

pub fn totals(conn: &Connection, since: i64) -> rusqlite::Result<Totals> {
    conn.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(cache LIKE 'hit-%'), 0), COALESCE(SUM(status >= 400), 0),
                COALESCE(SUM(cache = 'hit-semantic'), 0), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0),
                COALESCE(SUM(cost_usd), 0), COALESCE(SUM(saved_usd), 0),
                COALESCE(SUM(cost_usd IS NULL AND status < 400 AND cache NOT LIKE 'hit-%'), 0),
                COUNT(compressed_from), COALESCE(SUM(compressed_from - compressed_to), 0), COALESCE(SUM(compress_saved_usd), 0)
         FROM requests WHERE ts >= ?1",
    )?
    .query_row([since], |r| {
        Ok(Totals {
            requests: r.get(0)?,
            cache_hits: r.get(1)?,
            errors: r.get(2)?,
            semantic_hits: r.get(3)?,
            prompt_tokens: r.get(4)?,
            completion_tokens: r.get(5)?,
            cost_usd: r.get(6)?,
            saved_usd: r.get(7)?,
            unpriced_requests: r.get(8)?,
            compressed_requests: r.get(9)?,
            compressed_tokens_saved: r.get(10)?,
            compressed_saved_usd: r.get(11)?,
        })
    })
}

/// `offset_ms` is the viewer's offset from UTC (east positive), so days break at their midnight.
pub fn usage(conn: &Connection, since: i64, offset_ms: i64) -> rusqlite::Result<UsageReport> {
    let all = totals(conn, since)?;
    let totals = UsageTotals { p50_ms: percentile(conn, since, all.requests, 0.50)?, p95_ms: percentile(conn, since, all.requests, 0.95)?, totals: all };

    let mut stmt = conn.prepare_cached(
        "SELECT ((ts + ?2) / ?3) * ?3 - ?2 AS day, COUNT(*), COALESCE(SUM(cost_usd), 0), COALESCE(SUM(saved_usd), 0)
         FROM requests WHERE ts >= ?1 GROUP BY day ORDER BY day",
    )?;
    let days = stmt
        .query_map(params![since, offset_ms, DAY_MS], |r| Ok(DayUsage { day: r.get(0)?, requests: r.get(1)?, cost_usd: r.get(2)?, saved_usd: r.get(3)? }))?
        .collect::<rusqlite::Result<_>>()?;

    let mut stmt = conn.prepare_cached(
        "SELECT provider, model, COUNT(*), COALESCE(SUM(cache LIKE 'hit-%'), 0),
                COALESCE(SUM(prompt_tokens), 0) + COALESCE(SUM(completion_tokens), 0),
                COALESCE(SUM(cost_usd), 0), COALESCE(SUM(saved_usd), 0)
         FROM requests WHERE ts >= ?1 GROUP BY provider, model
         ORDER BY SUM(cost_usd) + SUM(saved_usd) DESC, COUNT(*) DESC LIMIT 50",
    )?;
    let by_model = stmt
        .query_map([since], |r| {
            Ok(ModelUsage { provider: r.get(0)?, model: r.get(1)?, requests: r.get(2)?, cache_hits: r.get(3)?, tokens: r.get(4)?, cost_usd: r.get(5)?, saved_usd: r.get(6)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(UsageReport { since, totals, days, by_model })
}

/// The latency below which `q` of the period's requests finished (nearest rank).
fn percentile(conn: &Connection, since: i64, count: u64, q: f64) -> rusqlite::Result<Option<f64>> {
    if count == 0 {
        return Ok(None);
    }
    let rank = ((q * count as f64).ceil() as i64 - 1).max(0);
    conn.query_row("SELECT latency_ms FROM requests WHERE ts >= ?1 ORDER BY latency_ms LIMIT 1 OFFSET ?2", params![since, rank], |r| r.get(0)).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_break_at_the_viewers_midnight_and_percentiles_use_nearest_rank() {
        crate::store::schema::load_vector_extension();
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::schema::prepare(&mut conn).unwrap();
        let hour = 3_600_000;
        // 2026-01-02 00:30 and 23:30 UTC; at UTC+2 the second one falls on Jan 3.
        let jan2 = 1_767_312_000_000;
        for (i, (ts, latency, cost)) in [(jan2 + hour / 2, 10.0, 0.5), (jan2 + 23 * hour + hour / 2, 30.0, 0.25), (jan2 + hour, 20.0, 0.25)].into_iter().enumerate() {
            conn.execute(
                "INSERT INTO requests (id, ts, model_requested, provider, model, cache, status, latency_ms, stream, cost_usd, saved_usd)
                 VALUES (?1, ?2, 'm', 'p', 'm', 'miss', 200, ?3, 0, ?4, 0.1)",
                params![format!("r{i}"), ts, latency, cost],
            )
            .unwrap();
        }
        let utc = usage(&conn, 0, 0).unwrap();
        assert_eq!(utc.days.len(), 1);
        assert_eq!((utc.days[0].day, utc.days[0].requests), (jan2, 3));
        assert_eq!((utc.totals.p50_ms, utc.totals.p95_ms), (Some(20.0), Some(30.0)));
        assert!((utc.totals.totals.cost_usd - 1.0).abs() < 1e-9);
        let east = usage(&conn, 0, 2 * hour).unwrap();
        let days: Vec<(i64, u64)> = east.days.iter().map(|d| (d.day, d.requests)).collect();
        assert_eq!(days, vec![(jan2 - 2 * hour, 2), (jan2 + 22 * hour, 1)]);
        assert_eq!(usage(&conn, jan2 + 2 * hour, 0).unwrap().totals.totals.requests, 1);
    }
}
