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
/// order, the first that `decide` accepts; with its similarity. The same choice for the live
/// cache and for `sluice eval cache --simulate` and `sluice eval loop`.
pub fn best_match<'a>(settings: &SemanticSettings, query: &str, query_vec: &[f32], stored: impl IntoIterator<Item = (usize, &'a str, &'a [f32])>) -> Option<(usize, f32)> {
    let mut nearest: Vec<(f32, usize, &str, &[f32])> = stored.into_iter().map(|(i, text, v)| (cosine(query_vec, v), i, text, v)).collect();
    nearest.sort_by(|x, y| y.0.total_cmp(&x.0));
    nearest.into_iter().take(CANDIDATES).find(|(_, _, text, v)| decide(settings, text, v, query, query_vec).is_ok()).map(|(s, i, _, _)| (i, s))
}

/// Whether two questions differ in one kind of detail.
type Differ = fn(&str, &str) -> bool;

/// The checks that do not need embeddings.
pub fn verify(a: &str, b: &str) -> Result<(), Refusal> {
    // A phone's typographic apostrophe ("don’t") must read like a typed one, or the negation in
    // it goes unseen.
    let (a, b) = (a.replace(['’', '‘'], "'"), b.replace(['’', '‘'], "'"));
    // Names need the writer's capitals; everything else compares lowercase.
    if super::words::names_differ(&a, &b) {
        return Err(Refusal::Names);
    }
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    if super::words::opposites(&a, &b) {
        return Err(Refusal::Opposites);
    }
    let checks: [(Refusal, Differ); 7] = [
        (Refusal::Numbers, |a, b| numbers(a) != numbers(b)),
        (Refusal::Quoted, |a, b| quote_missing(a, b) || quote_missing(b, a)),
        (Refusal::Urls, |a, b| urls(a) != urls(b)),
        (Refusal::Identifiers, |a, b| identifiers(a) != identifiers(b)),
        (Refusal::Time, |a, b| time_words(a) != time_words(b)),
        (Refusal::Direction, reversed),
        (Refusal::Negation, |a, b| negations(a) % 2 != negations(b) % 2),
    ];
    match checks.into_iter().find(|(_, differ)| differ(&a, &b)) {
        Some((refusal, _)) => Err(refusal),
        None => Ok(()),
    }
}

/// Words, without a possessive ("year's" is "year").
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '_' || c == '.' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '.' || c == '-' || c == '\''))
        .map(|w| w.strip_suffix("'s").unwrap_or(w))
        .filter(|w| !w.is_empty())
}

/// Numbers, with spelled-out ones, so "3" and "three" (and "two-step" and "2 steps") agree.
/// One is left out: "one" and "1" are far more often a pronoun, an article or a list marker
/// ("how can one…", "in one go", "1) first…") than a count that matters, and a question that
/// swaps 1 for another number still differs by the other.
fn numbers(text: &str) -> BTreeSet<String> {
    const SPELLED: &[&str] = &["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty", "hundred", "thousand", "million", "billion", "half", "twice", "double"];
    let mut out = BTreeSet::new();
    for word in words(text) {
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.insert(word.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect::<String>().trim_end_matches(".0").to_owned());
            continue;
        }
        for part in word.split('-') {
            // "thousands" is "thousand": an order of magnitude either way.
            let part = part.strip_suffix('s').filter(|p| matches!(*p, "hundred" | "thousand" | "million" | "billion")).unwrap_or(part);
            if let Some(i) = SPELLED.iter().position(|s| *s == part) {
                out.insert(if i <= 12 { i.to_string() } else { part.to_owned() });
            }
        }
    }
    out.remove("1");
    out
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

/// Whether a string `a` quotes is missing from `b`: quoting a word for emphasis ("what does
/// "intelligent" mean") changes nothing, dropping or changing what is quoted does.
fn quote_missing(a: &str, b: &str) -> bool {
    quoted(a).iter().any(|q| !b.contains(q.as_str()))
}

fn urls(text: &str) -> BTreeSet<String> {
    text.split_whitespace().filter(|w| w.contains("://") || w.starts_with("www.")).map(|w| w.trim_end_matches(|c: char| ".,;:!?)".contains(c)).to_owned()).collect()
}

/// snake_case, dotted.names, calls(), and words mixing letters with inner capitals (checked on
/// the original casing would be better; lowercased text keeps `_`, `.` and `()` signals).
fn identifiers(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || ",;:!?\"'`".contains(c))
        .map(unbracketed)
        .filter(|w| {
            // Not versions ("v2.10.0": the numbers check reads them) or abbreviations ("e.g.").
            let version = w.trim_start_matches('v').chars().all(|c| c.is_ascii_digit() || c == '.');
            let abbreviation = w.split('.').all(|part| part.chars().count() <= 1);
            let inner_dot = w.trim_matches('.').contains('.') && !version && !abbreviation;
            (w.contains('_') || w.contains("()") || w.contains("::") || inner_dot) && w.chars().any(char::is_alphabetic)
        })
        .map(str::to_owned)
        .collect()
}

/// A word without the brackets of an aside ("(e.g.", "etc.)") or a closing dot, keeping a
/// call's "()".
fn unbracketed(word: &str) -> &str {
    let word = word.trim_start_matches('(');
    word.strip_suffix(')').filter(|w| !w.ends_with('(')).unwrap_or(word).trim_end_matches('.')
}

fn negations(text: &str) -> usize {
    const NEGATIONS: &[&str] = &["not", "no", "never", "without", "cannot", "nobody", "nothing", "neither", "nor", "none"];
    // Contractions typed without their apostrophe.
    const BARE: &[&str] = &["dont", "doesnt", "didnt", "cant", "couldnt", "wont", "wouldnt", "shouldnt", "isnt", "arent", "wasnt", "werent", "havent", "hasnt", "hadnt"];
    // An answer's opening "No," replies; it does not negate what follows.
    let text = text.trim_start().strip_prefix("no,").unwrap_or(text);
    let words: Vec<&str> = words(text).collect();
    let negates = |i: usize| {
        let w = words[i];
        // "whether or not", "why or why not": an alternative, not a negation.
        let alternative = w == "not" && words[i.saturating_sub(2)..i].contains(&"or");
        let negation = NEGATIONS.contains(&w) || BARE.contains(&w) || w.ends_with("n't");
        negation && !alternative
    };
    (0..words.len()).filter(|&i| negates(i)).count()
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

/// Words that place a question in time. Present-time words ("now", "today", "currently") are
/// left out: a question without a time word asks about the present too, so they never tell two
/// questions apart; "yesterday" against either still does.
fn time_words(text: &str) -> BTreeSet<String> {
    const TIME: &[&str] = &[
        // Not "this", "may", "march", "before", "after": far more often a determiner, a verb
        // or a preposition than a time.
        "yesterday", "tomorrow", "tonight", "latest", "recent", "last", "next", "ago",
        "morning", "evening", "week", "month", "year", "weekend", "monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday", "january", "february", "april", "june", "july", "august", "september", "october", "november", "december",
    ];
    // "the latest" and "the most recent" ask for the same thing.
    words(text).filter(|w| TIME.contains(w)).map(|w| if w == "recent" { "latest" } else { w }).map(str::to_owned).collect()
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
        assert_eq!(verify("Why don’t cats purr?", "Why do cats purr?"), Err(Refusal::Negation), "a typographic apostrophe");
        assert_eq!(verify("Why dont cats purr?", "Why do cats purr?"), Err(Refusal::Negation), "a contraction typed without its apostrophe");
        assert_eq!(verify("Is it safe to travel to Peru now?", "Was it safe to travel to Peru last year?"), Err(Refusal::Time));
        assert_eq!(verify("Which is better, one GPU or two?", "Which is better, one GPU or three?"), Err(Refusal::Numbers));
        assert_eq!(verify("What does the word \"cache\" mean?", "What does the word \"cash\" mean?"), Err(Refusal::Quoted));
    }

    #[test]
    fn rephrasings_pass() {
        assert_eq!(verify("How do I reverse a list in Python?", "How can I reverse a Python list?"), Ok(()));
        assert_eq!(verify("Split a bill 3 ways", "split the bill three ways"), Ok(()));
        assert_eq!(verify("What's the capital of France?", "What is the capital city of France?"), Ok(()));
        assert_eq!(verify("How can one make money online?", "How do you make money online?"), Ok(()), "one is a pronoun");
        assert_eq!(verify("It works in two steps: 1) download, 2) prepare.", "It is a two-step process: download, then prepare."), Ok(()));
        assert_eq!(verify("How do I load several thousand files?", "How do I load thousands of files?"), Ok(()));
        assert_eq!(verify("Why don’t people answer my questions?", "Why don't people answer my questions?"), Ok(()));
        assert_eq!(verify("How do I know whether or not she likes me?", "How do I know if she likes me?"), Ok(()));
        assert_eq!(verify("No, LOAD_HU doesn't exist in v2.10.0.", "LOAD_HU is not available in version 2.10.0."), Ok(()));
        assert_eq!(verify("What does it mean to be \"intelligent\"?", "What does it mean to be intelligent?"), Ok(()), "quotes for emphasis");
        assert_eq!(verify("Each split (e.g. train) is a folder.", "Each split (train, test, etc.) is a folder."), Ok(()));
        assert_eq!(verify("What is the current state of the economy?", "What is the state of the economy now?"), Ok(()));
        assert_eq!(verify("What is the latest version of Rust?", "What is the most recent version of Rust?"), Ok(()));
        assert_eq!(verify("What is your New Year’s resolution?", "What is your new year resolution?"), Ok(()));
    }
}
