//! The sign bits of `cache_vectors`, in memory, where the semantic search scans them.
//!
//! sqlite-vec's brute-force bit search reads every row of a partition through SQLite: 8.8 ms
//! at 100k entries and 83 ms at 1M on the reference machine. The same Hamming scan over packed
//! words in memory takes a fraction of that (docs/semantic-cache.md), for ~85 bytes per entry.
//! `cache_vectors` stays the durable copy, written in the same transaction as its entry; this
//! index is loaded from it in the background when the store opens (sqlite-vec reads a row at
//! a time: ~0.6 s at 100k entries, 6–7 s at 1M; searches ask sqlite-vec meanwhile) and
//! follows the writer's commits. Between a commit and its index update a search may still
//! return a rowid whose entry is gone, so its results are candidates: the entry rows decide.

use super::vectors::DIMS;
use rusqlite::Connection;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Condvar, Mutex, RwLock};

/// One vector's sign bits, 64 dimensions per word.
pub type Bits = [u64; DIMS / 64];

/// Packs sqlite-vec's `bit[]` bytes (little-endian bit order within each byte).
pub fn pack(bytes: &[u8]) -> Bits {
    let mut bits = [0u64; DIMS / 64];
    for (word, chunk) in bits.iter_mut().zip(bytes.chunks_exact(8)) {
        *word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    bits
}

/// What a committed transaction did to the vectors, for the index to follow.
#[derive(Debug)]
pub enum Change {
    Insert { rowid: i64, partition: String, bits: Bits },
    Remove(i64),
    Clear,
}

#[derive(Default)]
struct Partition {
    rowids: Vec<i64>,
    bits: Vec<Bits>,
}

/// ~85 bytes an entry: its rowid and bits, and its slot.
#[derive(Default)]
pub struct BitIndex {
    partitions: Vec<Partition>,
    /// Partition name → its place in `partitions` (an emptied partition keeps its place).
    names: HashMap<String, u32>,
    /// rowid → (partition, position), so removals need no scan.
    slots: HashMap<i64, (u32, u32)>,
}

impl BitIndex {
    /// Reads every vector of `cache_vectors`.
    pub fn load(conn: &Connection) -> rusqlite::Result<BitIndex> {
        let mut index = BitIndex::default();
        let mut rows = conn.prepare("SELECT rowid, partition, bits FROM cache_vectors")?;
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            let bytes: Vec<u8> = row.get(2)?;
            index.apply(Change::Insert { rowid: row.get(0)?, partition: row.get(1)?, bits: pack(&bytes) });
        }
        Ok(index)
    }

    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Insert { rowid, partition, bits } => {
                self.remove(rowid);
                let next = self.partitions.len() as u32;
                let at = *self.names.entry(partition).or_insert(next);
                if at == next {
                    self.partitions.push(Partition::default());
                }
                let part = &mut self.partitions[at as usize];
                part.rowids.push(rowid);
                part.bits.push(bits);
                self.slots.insert(rowid, (at, part.rowids.len() as u32 - 1));
            }
            Change::Remove(rowid) => self.remove(rowid),
            Change::Clear => *self = BitIndex::default(),
        }
    }

    fn remove(&mut self, rowid: i64) {
        let Some((partition, at)) = self.slots.remove(&rowid) else { return };
        let part = &mut self.partitions[partition as usize];
        part.rowids.swap_remove(at as usize);
        part.bits.swap_remove(at as usize);
        if let Some(moved) = part.rowids.get(at as usize) {
            self.slots.get_mut(moved).expect("an indexed rowid has a slot").1 = at;
        }
    }

    /// The rowids of the `k` vectors of `partition` nearest to `query` by Hamming distance,
    /// unordered.
    pub fn nearest(&self, partition: &str, query: &Bits, k: usize) -> Vec<i64> {
        let Some(&at) = self.names.get(partition) else { return Vec::new() };
        let part = &self.partitions[at as usize];
        // The default x86-64 target has no POPCNT instruction, so `count_ones` is a dozen
        // instructions unless the scan is compiled for it.
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has just been found to support POPCNT.
            return unsafe { scan_with_popcnt(part, query, k) };
        }
        scan(part, query, k)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn scan_with_popcnt(part: &Partition, query: &Bits, k: usize) -> Vec<i64> {
    scan(part, query, k)
}

#[inline(always)]
fn scan(part: &Partition, query: &Bits, k: usize) -> Vec<i64> {
    // A max-heap of the best k so far: its top is the one to beat.
    let mut best: BinaryHeap<(u32, i64)> = BinaryHeap::with_capacity(k + 1);
    for (rowid, bits) in part.rowids.iter().zip(&part.bits) {
        let distance: u32 = bits.iter().zip(query).map(|(a, b)| (a ^ b).count_ones()).sum();
        if best.len() < k {
            best.push((distance, *rowid));
        } else if best.peek().is_some_and(|top| distance < top.0) {
            best.pop();
            best.push((distance, *rowid));
        }
    }
    best.into_iter().map(|(_, rowid)| rowid).collect()
}

/// The index as the store shares it: empty while it loads, with the writer's changes kept
/// aside until the loaded copy can take them.
pub struct SharedIndex {
    state: RwLock<State>,
    loaded: (Mutex<bool>, Condvar),
}

enum State {
    /// Changes committed since loading began, in order. Replaying all of them on the loaded
    /// copy is right whenever that copy was read: each change sets its rowid's final state.
    Loading(Vec<Change>),
    Ready(BitIndex),
}

impl SharedIndex {
    pub fn loading() -> SharedIndex {
        SharedIndex { state: RwLock::new(State::Loading(Vec::new())), loaded: (Mutex::new(false), Condvar::new()) }
    }

    /// Takes the copy read from the database (`cache_vectors`), once.
    pub fn loaded(&self, mut index: BitIndex) {
        let mut state = self.state.write().expect("vector index lock");
        if let State::Loading(pending) = std::mem::replace(&mut *state, State::Loading(Vec::new())) {
            pending.into_iter().for_each(|c| index.apply(c));
        }
        *state = State::Ready(index);
        drop(state);
        *self.loaded.0.lock().expect("index loaded lock") = true;
        self.loaded.1.notify_all();
    }

    /// Blocks until the index is loaded.
    pub fn wait_loaded(&self) {
        let done = self.loaded.0.lock().expect("index loaded lock");
        drop(self.loaded.1.wait_while(done, |done| !*done).expect("index loaded lock"));
    }

    /// Follows a committed transaction.
    pub fn apply(&self, changes: Vec<Change>) {
        match &mut *self.state.write().expect("vector index lock") {
            State::Loading(pending) => pending.extend(changes),
            State::Ready(index) => changes.into_iter().for_each(|c| index.apply(c)),
        }
    }

    /// `BitIndex::nearest`, or `None` while loading.
    pub fn nearest(&self, partition: &str, query: &Bits, k: usize) -> Option<Vec<i64>> {
        match &*self.state.read().expect("vector index lock") {
            State::Loading(_) => None,
            State::Ready(index) => Some(index.nearest(partition, query, k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(seed: u64) -> Bits {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        std::array::from_fn(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        })
    }

    fn insert(index: &mut BitIndex, rowid: i64, partition: &str, bits: Bits) {
        index.apply(Change::Insert { rowid, partition: partition.into(), bits });
    }

    #[test]
    fn finds_the_nearest_in_the_partition_only() {
        let mut index = BitIndex::default();
        let query = bits(1);
        let mut near = query;
        near[0] ^= 0b111;
        let mut nearer = query;
        nearer[5] ^= 1;
        for rowid in 10..60 {
            insert(&mut index, rowid, "p", bits(rowid as u64));
        }
        insert(&mut index, 1, "p", near);
        insert(&mut index, 2, "p", nearer);
        insert(&mut index, 3, "other", query);
        let mut found = index.nearest("p", &query, 2);
        found.sort();
        assert_eq!(found, [1, 2]);
        assert_eq!(index.nearest("p", &query, 100).len(), 52);
        assert!(index.nearest("none", &query, 5).is_empty());
    }

    #[test]
    fn removals_and_reinserts_keep_every_slot_right() {
        let mut index = BitIndex::default();
        for rowid in 0..20 {
            insert(&mut index, rowid, if rowid % 2 == 0 { "even" } else { "odd" }, bits(rowid as u64));
        }
        for rowid in [0, 7, 18, 3] {
            index.apply(Change::Remove(rowid));
        }
        // Moving an entry to another partition replaces it rather than duplicating it.
        insert(&mut index, 5, "even", bits(5));
        index.apply(Change::Remove(99));
        assert_eq!(index.slots.len(), 16);
        for rowid in (0..20).filter(|r| ![0, 7, 18, 3].contains(r)) {
            let partition = if rowid % 2 == 0 || rowid == 5 { "even" } else { "odd" };
            assert_eq!(index.nearest(partition, &bits(rowid as u64), 1), [rowid], "rowid {rowid}");
        }
        for rowid in [1, 9, 11, 13, 15, 17, 19] {
            index.apply(Change::Remove(rowid));
        }
        assert!(index.nearest("odd", &bits(1), 5).is_empty(), "an emptied partition finds nothing");
        insert(&mut index, 1, "odd", bits(1));
        assert_eq!(index.nearest("odd", &bits(1), 5), [1], "and can be filled again");
        index.apply(Change::Clear);
        assert!(index.slots.is_empty() && index.partitions.is_empty() && index.names.is_empty());
    }

    #[test]
    fn changes_made_while_loading_are_replayed_on_the_loaded_copy() {
        // The copy read from the database already holds 1 and 2 (2 in its old place); the writer
        // meanwhile moved 2, removed 1 and added 3.
        let shared = SharedIndex::loading();
        shared.apply(vec![Change::Insert { rowid: 2, partition: "p".into(), bits: bits(20) }, Change::Remove(1)]);
        shared.apply(vec![Change::Insert { rowid: 3, partition: "p".into(), bits: bits(3) }]);
        assert_eq!(shared.nearest("p", &bits(3), 5), None, "the caller must search elsewhere while loading");
        let mut copy = BitIndex::default();
        insert(&mut copy, 1, "p", bits(1));
        insert(&mut copy, 2, "p", bits(2));
        shared.loaded(copy);
        shared.wait_loaded();
        let mut found = shared.nearest("p", &bits(3), 5).unwrap();
        found.sort();
        assert_eq!(found, [2, 3]);
        assert_eq!(shared.nearest("p", &bits(20), 1), Some(vec![2]), "the moved vector, not the stale one");
        shared.apply(vec![Change::Clear]);
        assert_eq!(shared.nearest("p", &bits(3), 5), Some(vec![]));
    }
}
