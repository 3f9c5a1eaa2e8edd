//! The quality loop: every saving (a semantic hit, a cheaper target than the rule's baseline,
//! a compressed prompt) is a bet that quality held, and a sample of them is checked.
//!
//! - **Sampling**, off the hot path: after a request is answered and logged, a `[quality]
//!   sample` share of those savings is asked again of the reference (the uncached request, the
//!   baseline model, the uncompressed request) in the background, and the judge compares the
//!   two answers in both orders (`suites::judge::compare`). The request that was sampled is not
//!   held up at all: its answer has gone out before the sample starts.
//! - **A daily cap**: the reference's answers and the judge's calls are summed per UTC day;
//!   a sample starts only while today's spend plus the last sample's cost stays under the cap,
//!   so the cap is passed by at most the samples in flight. Their calls are logged under their
//!   own tags and never count as saved.
//! - **Verdicts move settings** (`tune`): a wrong semantic hit takes its entry out and raises
//!   its partition's threshold; agreements lower it slowly; every move is recorded with its
//!   reason and can be undone, and thresholds are reloaded at start.

mod shadow;
pub mod tune;

use crate::store::{self, NewChange, Store, StoreError, ThresholdChange};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
pub use tune::Verdict;

/// Tags of the reference's and the judge's calls in the log.
pub const QUALITY_TAG: &str = "quality";
pub const QUALITY_JUDGE_TAG: &str = "quality-judge";

/// Calls Sluice or a person makes to test something are not savings to check.
const NOT_SAMPLED: [&str; 6] = [QUALITY_TAG, QUALITY_JUDGE_TAG, crate::suites::SUITE_TAG, crate::suites::JUDGE_TAG, crate::compress::SUMMARY_TAG, "playground"];

/// Samples checked at once; more are skipped (and counted) rather than queued.
const IN_FLIGHT: usize = 4;

/// The saving a sample checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Answered by the semantic cache with another question's answer.
    Semantic,
    /// Answered by a target cheaper than the rule's baseline.
    Cheaper,
    /// Answered from a compressed prompt.
    Compressed,
}

impl Kind {
    /// What the reference is asked of for this kind of saving: the client's own model, or the
    /// rule's baseline.
    pub fn reference(self, client_model: &str, baseline: &str) -> String {
        match self {
            Kind::Cheaper => baseline.to_owned(),
            Kind::Semantic | Kind::Compressed => client_model.to_owned(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Semantic => "semantic",
            Kind::Cheaper => "cheaper",
            Kind::Compressed => "compressed",
        }
    }

    pub fn parse(s: &str) -> Kind {
        match s {
            "semantic" => Kind::Semantic,
            "compressed" => Kind::Compressed,
            _ => Kind::Cheaper,
        }
    }
}

/// Whether these are the tags of the loop's own calls (the reference's, the judge's).
pub fn checking(tags: &[String]) -> bool {
    tags.iter().any(|t| t == QUALITY_TAG || t == QUALITY_JUDGE_TAG)
}

/// Whether requests with these tags may be sampled.
pub fn samplable(tags: &[String]) -> bool {
    !tags.iter().any(|t| NOT_SAMPLED.contains(&t.as_str()))
}

/// The semantic hit a sample checks.
#[derive(Debug, Clone)]
pub struct Hit {
    pub partition: String,
    /// Not known for a logged hit a person judged later.
    pub similarity: Option<f32>,
    pub key: [u8; 32],
    /// The threshold the route sets, where a partition starts before any verdict.
    pub configured: f32,
}

/// An answered request chosen for checking.
pub struct Sample {
    pub request_id: String,
    pub kind: Kind,
    pub rule: String,
    /// `provider/model` that answered.
    pub target: String,
    /// What the reference is asked of: the client's model (semantic, compressed) or the
    /// baseline `provider/model` (cheaper).
    pub reference: String,
    /// The request as the client meant it (before compression), in the internal form.
    pub body: Arc<Map<String, Value>>,
    pub answer: String,
    pub saved_usd: Option<f64>,
    pub hit: Option<Hit>,
}

/// Today's sampling, for the cap and the Quality page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Today {
    /// Start of the UTC day, Unix ms.
    pub day: i64,
    pub spent_usd: f64,
    /// Costs of samples still in flight, as estimated when they started.
    #[serde(skip)]
    reserved_usd: f64,
    /// What the last sample cost: the estimate for the next.
    #[serde(skip)]
    last_cost_usd: f64,
    pub samples: u64,
    /// Samples skipped because the cap was reached, or because `IN_FLIGHT` were running.
    pub skipped_cap: u64,
    pub skipped_busy: u64,
}

/// A started sample's place under the cap; handed back with what it cost.
pub struct Ticket {
    reserved: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error("no threshold change #{0}")]
    NotFound(i64),
    #[error("change #{0} was undone already")]
    Undone(i64),
    #[error("change #{0} undid another; make the change again by hand on the partition instead")]
    IsUndo(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Tuned {
    rule: String,
    state: tune::Partition,
}

#[derive(Default)]
pub struct Quality {
    /// Partitions whose threshold verdicts have moved, by partition.
    tuned: RwLock<HashMap<String, Tuned>>,
    /// Prompts verdicts labelled, for the difficulty router.
    learned: RwLock<crate::router::difficulty::Learned>,
    today: Mutex<Today>,
    in_flight: AtomicUsize,
}

const DAY_MS: i64 = 86_400_000;

impl Quality {
    /// Reads back the thresholds verdicts set and what sampling spent today.
    pub async fn load(&self, store: &Arc<Store>) -> Result<(), StoreError> {
        let day = crate::now_ms() / DAY_MS * DAY_MS;
        let kept = crate::router::difficulty::KEPT;
        let (thresholds, spent, examples) = store.read(move |c| Ok((store::current_thresholds(c)?, store::quality_spent_since(c, day)?, store::examples(c, kept)?))).await?;
        let mut learned = self.learned.write().expect("learned lock");
        for (embedding, needs_strong) in examples {
            learned.add(embedding, needs_strong);
        }
        drop(learned);
        let mut tuned = self.tuned.write().expect("thresholds lock");
        for (partition, rule, threshold) in thresholds {
            tuned.insert(partition, Tuned { rule, state: tune::Partition::new(threshold) });
        }
        *self.today.lock().expect("quality day lock") = Today { day, spent_usd: spent, ..Today::default() };
        Ok(())
    }

    /// The difficulty router's `score` for a prompt, moved by what verdicts taught.
    pub fn difficulty(&self, score: f32, embedding: &[f32]) -> f32 {
        self.learned.read().expect("learned lock").adjust(score, embedding)
    }

    /// How many labelled prompts the difficulty router learns from.
    pub fn labelled(&self) -> usize {
        self.learned.read().expect("learned lock").len()
    }

    /// Keeps a prompt a verdict labelled: whether its cheap answer was worse than the baseline's.
    pub async fn learn(&self, store: &Arc<Store>, request_id: &str, embedding: Vec<f32>, needs_strong: bool) -> Result<(), StoreError> {
        let (id, stored) = (request_id.to_owned(), embedding.clone());
        store.write(move |c| store::record_example(c, &id, crate::now_ms(), &stored, needs_strong)).await?;
        self.learned.write().expect("learned lock").add(embedding, needs_strong);
        Ok(())
    }

    /// The partition's threshold, when verdicts have moved it.
    pub fn threshold(&self, partition: &str) -> Option<f32> {
        self.tuned.read().expect("thresholds lock").get(partition).map(|t| t.state.threshold)
    }

    pub fn today(&self) -> Today {
        let mut today = self.today.lock().expect("quality day lock");
        roll(&mut today);
        today.clone()
    }

    /// Whether to check this answer: the sample share drawn, then the cap and the room for
    /// another sample in flight.
    pub fn draw(&self, share: f64, cap_usd: f64) -> Option<Ticket> {
        if rand::random::<f64>() >= share {
            return None;
        }
        let mut today = self.today.lock().expect("quality day lock");
        roll(&mut today);
        if today.spent_usd + today.reserved_usd + today.last_cost_usd > cap_usd {
            today.skipped_cap += 1;
            return None;
        }
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            today.skipped_busy += 1;
            return None;
        }
        today.samples += 1;
        today.reserved_usd += today.last_cost_usd;
        Some(Ticket { reserved: today.last_cost_usd })
    }

    fn settle(&self, ticket: Ticket, cost_usd: f64) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        let mut today = self.today.lock().expect("quality day lock");
        today.reserved_usd = (today.reserved_usd - ticket.reserved).max(0.0);
        today.spent_usd += cost_usd;
        today.last_cost_usd = cost_usd;
    }

    /// Checks `sample` in the background.
    pub fn spawn(engine: Arc<crate::Engine>, sample: Sample, ticket: Ticket) {
        tokio::spawn(shadow::check(engine, sample, ticket));
    }

    /// Moves the partition's threshold for a verdict on one of its hits, and records the move.
    pub async fn tune(&self, store: &Arc<Store>, bounds: tune::Bounds, hit: &Hit, rule: &str, verdict: Verdict, request_id: &str) -> Result<Option<ThresholdChange>, StoreError> {
        let moved = {
            let mut tuned = self.tuned.write().expect("thresholds lock");
            let entry = tuned.entry(hit.partition.clone()).or_insert_with(|| Tuned { rule: rule.to_owned(), state: tune::Partition::new(hit.configured) });
            let from = entry.state.threshold;
            entry.state.on_verdict(bounds, verdict, hit.similarity).map(|(to, reason)| (from, to, reason))
        };
        let Some((from, to, reason)) = moved else { return Ok(None) };
        tracing::info!(partition = %hit.partition, rule, from, to, "semantic threshold moved: {reason}");
        let change = NewChange { ts: crate::now_ms(), partition: hit.partition.clone(), rule: rule.to_owned(), from, to, reason, request_id: Some(request_id.to_owned()), undoes: None };
        self.record(store, change).await.map(Some)
    }

    /// Puts a partition's threshold back where change `id` found it, as a change of its own.
    pub async fn undo(&self, store: &Arc<Store>, id: i64) -> Result<ThresholdChange, UndoError> {
        let change = store.read(move |c| store::change(c, id)).await?.ok_or(UndoError::NotFound(id))?;
        if change.undone {
            return Err(UndoError::Undone(id));
        }
        if change.undoes.is_some() {
            return Err(UndoError::IsUndo(id));
        }
        let back = change.from as f32;
        let from = {
            let mut tuned = self.tuned.write().expect("thresholds lock");
            let entry = tuned.entry(change.partition.clone()).or_insert_with(|| Tuned { rule: change.rule.clone(), state: tune::Partition::new(change.to as f32) });
            let from = entry.state.threshold;
            entry.state = tune::Partition::new(back);
            from
        };
        let reason = format!("undo of change #{id}");
        tracing::info!(partition = %change.partition, from, to = back, "semantic threshold moved: {reason}");
        let new = NewChange { ts: crate::now_ms(), partition: change.partition, rule: change.rule, from, to: back, reason, request_id: None, undoes: Some(id) };
        Ok(self.record(store, new).await?)
    }

    /// A write of its own is committed by the time it answers: no flush needed.
    async fn record(&self, store: &Arc<Store>, change: NewChange) -> Result<ThresholdChange, StoreError> {
        store.write(move |c| store::record_change(c, change)).await
    }

    /// The rules partitions belong to, for the page's labels of partitions with no verdicts
    /// in the period.
    pub fn tuned_partitions(&self) -> Vec<(String, String, f32)> {
        self.tuned.read().expect("thresholds lock").iter().map(|(p, t)| (p.clone(), t.rule.clone(), t.state.threshold)).collect()
    }
}

/// Starts a new day's count at UTC midnight.
fn roll(today: &mut Today) {
    let day = crate::now_ms() / DAY_MS * DAY_MS;
    if today.day != day {
        *today = Today { day, last_cost_usd: today.last_cost_usd, ..Today::default() };
    }
}
