//! The semantic cache's side of the database: sign-bit vectors in sqlite-vec's `vec0` table,
//! partitioned so a search only ever sees entries that could answer the request.
//!
//! sqlite-vec searches 384-d float vectors by brute force in ~31 ms at 100k rows, bit vectors
//! in a few; so the search runs over sign bits (Hamming distance) and the float embeddings
//! kept in `cache_entries` rescore the `PREFILTER` nearest by cosine.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Embedding width the `vec0` table was created for (all-MiniLM-L6-v2).
pub const DIMS: usize = 384;

/// Bit-vector neighbours fetched per search, then rescored with the float vectors. Measured
/// on paraphrase-mock against 39k stored questions: of the 1,963 cosine top-5 neighbours with
/// cosine ≥ 0.8, a Hamming top-16 missed 1 and a top-32 none; each extra k costs sqlite-vec
/// ~0.1 ms at 100k rows (docs/semantic-cache.md).
const PREFILTER: usize = 32;

/// What a semantic cache entry adds to an exact one.
#[derive(Debug, Clone)]
pub struct SemanticRow {
    pub partition: String,
    pub question: String,
    pub embedding: Vec<f32>,
}

/// A stored question near the one asked.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub key: [u8; 32],
    pub question: String,
    pub embedding: Vec<f32>,
}

/// The sign of each dimension, packed little-endian per byte as sqlite-vec's `bit[]` expects.
pub fn sign_bits(v: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; v.len().div_ceil(8)];
    for (i, x) in v.iter().enumerate() {
        if *x > 0.0 {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
}

/// Files the vector of the entry `key` (already in `cache_entries`), replacing an older one.
pub fn insert(tx: &Transaction, key: &[u8; 32], row: &SemanticRow) -> rusqlite::Result<()> {
    let rowid: i64 = tx.prepare_cached("SELECT rowid FROM cache_entries WHERE key = ?1")?.query_row([&key[..]], |r| r.get(0))?;
    tx.prepare_cached("UPDATE cache_entries SET question = ?2, partition = ?3, embedding = ?4 WHERE rowid = ?1")?
        .execute(params![rowid, row.question, row.partition, to_blob(&row.embedding)])?;
    tx.prepare_cached("DELETE FROM cache_vectors WHERE rowid = ?1")?.execute([rowid])?;
    tx.prepare_cached("INSERT INTO cache_vectors (rowid, partition, bits) VALUES (?1, ?2, vec_bit(?3))")?
        .execute(params![rowid, row.partition, sign_bits(&row.embedding)])?;
    Ok(())
}

/// The live entries of `partition` nearest to `query`, by cosine, best first.
pub fn nearest(conn: &Connection, partition: &str, query: &[f32], k: usize, now_ms: i64) -> rusqlite::Result<Vec<(f32, Candidate)>> {
    let mut search = conn.prepare_cached("SELECT rowid FROM cache_vectors WHERE bits MATCH vec_bit(?1) AND k = ?2 AND partition = ?3")?;
    let rowids: Vec<i64> = search.query_map(params![sign_bits(query), PREFILTER as i64, partition], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut entry = conn.prepare_cached("SELECT key, question, embedding FROM cache_entries WHERE rowid = ?1 AND (expires_at IS NULL OR expires_at > ?2)")?;
    let mut out = Vec::with_capacity(rowids.len());
    for rowid in rowids {
        let found = entry
            .query_row(params![rowid, now_ms], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))
            .optional()?;
        let Some((key, question, embedding)) = found else { continue };
        let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else { continue };
        let embedding = from_blob(&embedding);
        out.push((crate::embed::cosine(query, &embedding), Candidate { key, question, embedding }));
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out.truncate(k);
    Ok(out)
}
