//! The semantic-cache decision: may the answer stored for question `a` answer question `b`?
//!
//! First the embeddings must be close (cosine ≥ threshold); then the candidate must survive
//! checks for the classic false hits, which embeddings barely see: different numbers, quoted
//! strings, URLs, code identifiers, negation, swapped direction ("from A to B" vs "from B to
//! A") and changed time words. A wrong hit answers a different question, so every check errs
//! towards a miss. `sluice eval cache` runs this same function.

use crate::embed::cosine;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SemanticSettings {
    /// Minimum cosine similarity of the two questions' embeddings.
    pub threshold: f32,
}

/// `[cache] threshold` unless set: see docs/semantic-cache.md for how it was chosen.
pub const DEFAULT_THRESHOLD: f64 = 0.95;

impl Default for SemanticSettings {
    fn default() -> Self {
        SemanticSettings { threshold: DEFAULT_THRESHOLD as f32 }
    }
}

/// Why a candidate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Dissimilar,
    Numbers,
    Quoted,
    Urls,
    Identifiers,
    Negation,
    Direction,
    Time,
    Names,
    Opposites,
}

pub fn decide(settings: &SemanticSettings, a: &str, a_vec: &[f32], b: &str, b_vec: &[f32]) -> Result<(), Refusal> {
    if cosine(a_vec, b_vec) < settings.threshold {
        return Err(Refusal::Dissimilar);
    }
    verify(a, b)
}

/// How many nearest stored questions are verified before giving up: the nearest one may fail
/// a check (a different number) while the next one is the real duplicate.
pub const CANDIDATES: usize = 5;

/// Picks the stored question that may answer `query`: the `CANDIDATES` nearest by cosine, in
/// order, the first that `decide` accepts. The same choice for the live cache and for
/// `sluice eval cache --simulate`.
pub fn best_match<'a>(settings: &SemanticSettings, query: &str, query_vec: &[f32], stored: impl IntoIterator<Item = (usize, &'a str, &'a [f32])>) -> Option<usize> {
    let mut nearest: Vec<(f32, usize, &str, &[f32])> = stored.into_iter().map(|(i, text, v)| (cosine(query_vec, v), i, text, v)).collect();
    nearest.sort_by(|x, y| y.0.total_cmp(&x.0));
    nearest.into_iter().take(CANDIDATES).find(|(_, _, text, v)| decide(settings, text, v, query, query_vec).is_ok()).map(|(_, i, _, _)| i)
}

/// Pulls out the parts of a question that must match exactly.
type Extract = fn(&str) -> BTreeSet<String>;

/// The checks that do not need embeddings.
pub fn verify(a: &str, b: &str) -> Result<(), Refusal> {
    // Names need the writer's capitals; everything else compares lowercase.
    if super::words::names_differ(a, b) {
        return Err(Refusal::Names);
    }
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    if super::words::opposites(&a, &b) {
        return Err(Refusal::Opposites);
    }
    let checks: [(Refusal, Extract); 5] = [
        (Refusal::Numbers, numbers),
        (Refusal::Quoted, quoted),
        (Refusal::Urls, urls),
        (Refusal::Identifiers, identifiers),
        (Refusal::Time, time_words),
    ];
    for (refusal, extract) in checks {
        if extract(&a) != extract(&b) {
            return Err(refusal);
        }
    }
    if reversed(&a, &b) {
        return Err(Refusal::Direction);
    }
    if negations(&a) % 2 != negations(&b) % 2 {
        return Err(Refusal::Negation);
    }
    Ok(())
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '_' || c == '.' || c == '-')).map(|w| w.trim_matches(|c| c == '.' || c == '-' || c == '\'')).filter(|w| !w.is_empty())
}

/// Numbers, with spelled-out small ones, so "3" and "three" agree.
fn numbers(text: &str) -> BTreeSet<String> {
    const SPELLED: &[&str] = &["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty", "hundred", "thousand", "million", "billion", "half", "twice", "double"];
    words(text)
        .filter_map(|w| {
            if w.chars().any(|c| c.is_ascii_digit()) {
                Some(w.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect::<String>().trim_end_matches(".0").to_owned())
            } else {
                SPELLED.iter().position(|s| *s == w).map(|i| match i {
                    0..=12 => i.to_string(),
                    _ => w.to_owned(),
                })
            }
        })
        .collect()
}

fn quoted(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for q in ['"', '`', '“'] {
        let close = if q == '“' { '”' } else { q };
        let mut rest = text;
        while let Some(start) = rest.find(q) {
            let after = &rest[start + q.len_utf8()..];
            let Some(end) = after.find(close) else { break };
            out.insert(after[..end].trim().to_owned());
            rest = &after[end + close.len_utf8()..];
        }
    }
    out
}

fn urls(text: &str) -> BTreeSet<String> {
    text.split_whitespace().filter(|w| w.contains("://") || w.starts_with("www.")).map(|w| w.trim_end_matches(|c: char| ".,;:!?)".contains(c)).to_owned()).collect()
}

/// snake_case, dotted.names, calls(), and words mixing letters with inner capitals (checked on
/// the original casing would be better; lowercased text keeps `_`, `.` and `()` signals).
fn identifiers(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || ",;:!?\"'`".contains(c))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| {
            let inner_dot = w.trim_matches('.').contains('.') && !w.chars().all(|c| c.is_ascii_digit() || c == '.');
            (w.contains('_') || w.contains("()") || w.contains("::") || inner_dot) && w.chars().any(char::is_alphabetic)
        })
        .map(str::to_owned)
        .collect()
}

fn negations(text: &str) -> usize {
    const NEGATIONS: &[&str] = &["not", "no", "never", "without", "cannot", "nobody", "nothing", "neither", "nor", "none"];
    words(text).filter(|w| NEGATIONS.contains(w) || w.ends_with("n't")).count()
}

/// Ordered (source, destination) pairs from "from X to Y" and "X to Y" with X and Y single
/// words (currencies, languages, units); "usd to jpy" and "jpy to usd" differ.
/// The `x > y` relations a question states: the words around "to", "into", "vs", "than".
fn directions(text: &str) -> BTreeSet<(String, String)> {
    let w: Vec<&str> = words(text).collect();
    let mut out = BTreeSet::new();
    for i in 1..w.len().saturating_sub(1) {
        if matches!(w[i], "to" | "into" | "vs" | "versus" | "than") {
            out.insert((w[i - 1].to_owned(), w[i + 1].to_owned()));
        }
    }
    out
}

/// Whether one question states a relation the other states the other way round ("USD to JPY"
/// vs "JPY to USD"). A paraphrase that merely words things differently around "to" is no
/// reversal: demanding identical relations refused most paraphrases (584 of 999 on
/// paraphrase-mock).
fn reversed(a: &str, b: &str) -> bool {
    let (da, db) = (directions(a), directions(b));
    da.iter().any(|(x, y)| x != y && db.contains(&(y.clone(), x.clone()))) || comparison_reversed(a, b)
}

/// "How is Apple better than Samsung?" vs "How is Samsung better than Apple?": each compares
/// against what the other puts first.
fn comparison_reversed(a: &str, b: &str) -> bool {
    let compared = |text: &str| words(text).skip_while(|w| *w != "than").skip(1).find(|w| !matches!(*w, "a" | "an" | "the")).map(str::to_owned);
    let (Some(x), Some(y)) = (compared(a), compared(b)) else { return false };
    x != y && words(a).any(|w| w == y) && words(b).any(|w| w == x)
}

fn time_words(text: &str) -> BTreeSet<String> {
    const TIME: &[&str] = &[
        // Not "this", "may", "march", "before", "after": far more often a determiner, a verb
        // or a preposition than a time.
        "today", "yesterday", "tomorrow", "tonight", "now", "current", "currently", "latest", "recent", "last", "next", "ago",
        "morning", "evening", "week", "month", "year", "weekend", "monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday", "january", "february", "april", "june", "july", "august", "september", "october", "november", "december",
    ];
    words(text).filter(|w| TIME.contains(w)).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_false_hits_are_refused() {
        assert_eq!(verify("exchange rate from USD to JPY", "exchange rate from JPY to USD"), Err(Refusal::Direction));
        assert_eq!(verify("Why is arranged marriage better than love marriage?", "Why is love marriage better than an arranged marriage?"), Err(Refusal::Direction));
        assert_eq!(verify("Split a €20 bill three ways", "Split a €25 bill three ways"), Err(Refusal::Numbers));
        assert_eq!(verify("Is coffee good for you?", "Is coffee not good for you?"), Err(Refusal::Negation));
        assert_eq!(verify("What is the weather today?", "What was the weather yesterday?"), Err(Refusal::Time));
        assert_eq!(verify("What does `os.path.join` do?", "What does `os.path.split` do?"), Err(Refusal::Quoted));
        assert_eq!(verify("Summarize https://a.com/x", "Summarize https://a.com/y"), Err(Refusal::Urls));
        assert_eq!(verify("Why does my_func fail?", "Why does other_func fail?"), Err(Refusal::Identifiers));
    }

    #[test]
    fn rephrasings_pass() {
        assert_eq!(verify("How do I reverse a list in Python?", "How can I reverse a Python list?"), Ok(()));
        assert_eq!(verify("Split a bill 3 ways", "split the bill three ways"), Ok(()));
        assert_eq!(verify("What's the capital of France?", "What is the capital city of France?"), Ok(()));
    }
}
