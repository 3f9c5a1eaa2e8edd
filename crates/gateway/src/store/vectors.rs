//! The semantic cache's side of the database: sign-bit vectors in sqlite-vec's `vec0` table,
//! partitioned so a search only ever sees entries that could answer the request.
//!
//! Comparing 384-d float vectors by brute force takes ~31 ms at 100k rows in sqlite-vec, so the
//! search runs over sign bits (Hamming distance, in `BitIndex`'s copy of this table) and the
//! float embeddings kept in `cache_entries` rescore the `PREFILTER` nearest by cosine.

use super::bit_index::{pack, Change};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Bits per vector in the `vec0` table: all-MiniLM-L6-v2's width, so its sign bits go in as
/// they are; other models' vectors are hashed down (or up) to this many bits.
pub const DIMS: usize = 384;

/// Bit-vector neighbours fetched per search, then rescored with the float vectors. Measured
/// on paraphrase-mock against 39k stored questions: of the 1,963 cosine top-5 neighbours with
/// cosine ≥ 0.8, a Hamming top-16 missed 1 and a top-32 none; each one costs a read of its
/// entry row (docs/semantic-cache.md).
pub const PREFILTER: usize = 32;

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

/// `DIMS` bits, packed little-endian per byte as sqlite-vec's `bit[]` expects: the sign of each
/// dimension of a 384-d vector, else of `DIMS` fixed pseudo-random projections (SimHash), which
/// keeps Hamming distance tracking the angle for a remote model of any width.
pub fn sign_bits(v: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; DIMS / 8];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for bit in 0..DIMS {
        let value = if v.len() == DIMS {
            v[bit]
        } else {
            v.iter()
                .map(|x| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    if state & 1 == 0 { *x } else { -*x }
                })
                .sum()
        };
        if value > 0.0 {
            out[bit / 8] |= 1 << (bit % 8);
        }
    }
    out
}

pub(super) fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub(super) fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
}

/// Files the vector of the entry `key` (already in `cache_entries`), replacing an older one;
/// returns the change for the in-memory index to follow once the transaction commits.
pub fn insert(tx: &Transaction, key: &[u8; 32], row: &SemanticRow) -> rusqlite::Result<Change> {
    let rowid: i64 = tx.prepare_cached("SELECT rowid FROM cache_entries WHERE key = ?1")?.query_row([&key[..]], |r| r.get(0))?;
    tx.prepare_cached("UPDATE cache_entries SET question = ?2, partition = ?3, embedding = ?4 WHERE rowid = ?1")?
        .execute(params![rowid, row.question, row.partition, to_blob(&row.embedding)])?;
    tx.prepare_cached("DELETE FROM cache_vectors WHERE rowid = ?1")?.execute([rowid])?;
    let bits = sign_bits(&row.embedding);
    tx.prepare_cached("INSERT INTO cache_vectors (rowid, partition, bits) VALUES (?1, ?2, vec_bit(?3))")?
        .execute(params![rowid, row.partition, bits])?;
    Ok(Change::Insert { rowid, partition: row.partition.clone(), bits: pack(&bits) })
}

/// sqlite-vec's own search for the `PREFILTER` nearest bit vectors of `partition`: what
/// searches use while `BitIndex` loads (8.8 ms at 100k entries, 83 ms at 1M — slower than the
/// index, but a miss would cost an upstream call).
pub fn search(conn: &Connection, partition: &str, bits: &[u8]) -> rusqlite::Result<Vec<i64>> {
    let mut search = conn.prepare_cached("SELECT rowid FROM cache_vectors WHERE bits MATCH vec_bit(?1) AND k = ?2 AND partition = ?3")?;
    let rowids = search.query_map(params![bits, PREFILTER as i64, partition], |r| r.get(0))?;
    rowids.collect()
}

/// The entries among `rowids` (a search's result) that are still there and live.
pub fn candidates(conn: &Connection, rowids: Vec<i64>, now_ms: i64) -> rusqlite::Result<Vec<Candidate>> {
    let mut entry = conn.prepare_cached("SELECT key, question, embedding FROM cache_entries WHERE rowid = ?1 AND (expires_at IS NULL OR expires_at > ?2)")?;
    let mut out = Vec::with_capacity(rowids.len());
    for rowid in rowids {
        let found = entry
            .query_row(params![rowid, now_ms], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))
            .optional()?;
        let Some((key, question, embedding)) = found else { continue };
        let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else { continue };
        out.push(Candidate { key, question, embedding: from_blob(&embedding) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hamming(a: &[u8], b: &[u8]) -> u32 {
        a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
    }

    #[test]
    fn bits_are_signs_for_the_local_model_and_a_hash_for_other_widths() {
        let v: Vec<f32> = (0..DIMS).map(|i| if i % 3 == 0 { 0.1 } else { -0.1 }).collect();
        let bits = sign_bits(&v);
        assert_eq!(bits.len(), DIMS / 8);
        assert!((0..DIMS).all(|i| (bits[i / 8] >> (i % 8) & 1 == 1) == (i % 3 == 0)));

        let a: Vec<f32> = (0..768).map(|i| ((i * 7919) % 13) as f32 - 6.0).collect();
        let near: Vec<f32> = a.iter().enumerate().map(|(i, x)| if i % 50 == 0 { -x } else { *x }).collect();
        let far: Vec<f32> = a.iter().rev().copied().collect();
        let (ha, hn, hf) = (sign_bits(&a), sign_bits(&near), sign_bits(&far));
        assert_eq!(ha.len(), DIMS / 8);
        assert!(hamming(&ha, &hn) < hamming(&ha, &hf), "Hamming distance follows the angle");
    }
}
