//! Word-level checks for changes an embedding barely registers: a different name ("Mono
//! County" vs "Merced County", "mechanical engineer" vs "electrical engineer" when capitalised,
//! "MBA in IT") and a word swapped for its opposite ("minimize" vs "maximize").
//!
//! Measured on the dev data (docs/semantic-cache.md): the name check cut QQP's false hits at
//! cosine 0.9 from 5.75 % to 4.27 % for recall 0.397 → 0.367, and cost the paraphrase simulation
//! little; a check on the order of shared names cost the simulation more than it gained and was
//! left out.

use std::collections::BTreeSet;

/// Words as compared: lowercase, without a possessive or a plural `s`.
fn normalize(word: &str) -> String {
    let w = word.to_lowercase().replace('’', "'");
    let w = w.strip_suffix("'s").unwrap_or(&w);
    match w.strip_suffix('s') {
        Some(stem) if w.len() > 3 && !w.ends_with("ss") => stem.to_owned(),
        _ => w.to_owned(),
    }
}

/// Words with their position, and whether each starts a sentence (where capitals mean nothing).
fn tokens(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '\''));
        if !word.is_empty() {
            out.push((word, sentence_start));
        }
        sentence_start = raw.ends_with(['.', '?', '!']);
    }
    out
}

/// Names as a writer marks them: capitalised mid-sentence, or with two capitals (IT, iOS).
fn names(text: &str) -> BTreeSet<String> {
    tokens(text)
        .into_iter()
        .filter(|(w, start)| {
            let capitals = w.chars().filter(|c| c.is_uppercase()).count();
            capitals >= 2 || (!start && *w != "I" && w.chars().next().is_some_and(char::is_uppercase))
        })
        .map(|(w, _)| normalize(w))
        .collect()
}

fn vocabulary(text: &str) -> BTreeSet<String> {
    tokens(text).into_iter().map(|(w, _)| normalize(w)).collect()
}

/// Whether either question names something the other never mentions (in any casing).
pub fn names_differ(a: &str, b: &str) -> bool {
    let (va, vb) = (vocabulary(a), vocabulary(b));
    names(a).iter().any(|n| !vb.contains(n)) || names(b).iter().any(|n| !va.contains(n))
}

const OPPOSITES: &[(&str, &str)] = &[
    ("minimize", "maximize"), ("minimum", "maximum"), ("min", "max"), ("shortest", "longest"), ("short", "long"),
    ("best", "worst"), ("more", "less"), ("most", "least"), ("higher", "lower"), ("highest", "lowest"),
    ("increase", "decrease"), ("increase", "reduce"), ("advantage", "disadvantage"), ("pro", "con"), ("buy", "sell"),
    ("buying", "selling"), ("cheap", "expensive"), ("cheapest", "expensive"), ("fast", "slow"), ("faster", "slower"),
    ("big", "small"), ("bigger", "smaller"), ("large", "small"), ("old", "new"), ("older", "newer"), ("young", "old"),
    ("male", "female"), ("men", "women"), ("man", "woman"), ("boy", "girl"), ("husband", "wife"),
    ("boyfriend", "girlfriend"), ("north", "south"), ("east", "west"), ("import", "export"), ("win", "lose"),
    ("hot", "cold"), ("good", "bad"), ("first", "last"), ("positive", "negative"), ("start", "end"),
    ("agree", "disagree"), ("like", "dislike"), ("legal", "illegal"), ("possible", "impossible"), ("true", "false"),
    ("rich", "poor"), ("love", "hate"), ("easy", "hard"), ("easiest", "hardest"), ("strong", "weak"),
    ("input", "output"), ("upload", "download"), ("left", "right"), ("above", "below"), ("inside", "outside"),
    ("online", "offline"), ("success", "failure"), ("pass", "fail"), ("add", "remove"), ("encrypt", "decrypt"),
    ("encode", "decode"), ("compress", "decompress"), ("push", "pull"), ("send", "receive"), ("client", "server"),
    ("ascending", "descending"), ("uppercase", "lowercase"), ("enable", "disable"), ("install", "uninstall"),
    ("gain", "lose"), ("gain", "loss"), ("rise", "fall"), ("early", "late"), ("past", "future"), ("top", "bottom"),
];

/// Whether a word only one question has faces its opposite only the other has.
pub fn opposites(a: &str, b: &str) -> bool {
    let (va, vb) = (vocabulary(a), vocabulary(b));
    let only_a: BTreeSet<&String> = va.difference(&vb).collect();
    let only_b: BTreeSet<&String> = vb.difference(&va).collect();
    OPPOSITES.iter().any(|(x, y)| {
        let (x, y) = (x.to_string(), y.to_string());
        (only_a.contains(&x) && only_b.contains(&y)) || (only_a.contains(&y) && only_b.contains(&x))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_appear_on_both_sides() {
        assert!(names_differ("Best rehab centers in the Mono County area?", "Best rehab centers in the Merced County area?"));
        assert!(names_differ("Which is the best university to do distance MBA in India?", "Which is the best university to do distance MBA in IT in India?"));
        assert!(!names_differ("Where can I buy a Lumia in India?", "where can i buy a lumia in india"), "casing alone is no new name");
        assert!(!names_differ("What is Rust? Tell me.", "Tell me what Rust is."), "sentence starts are not names");
    }

    #[test]
    fn opposite_words_are_caught() {
        assert!(opposites("Which configurations would minimize the fraction?", "Which configurations would maximize the fraction?"));
        assert!(opposites("Which carrier has the shortest period?", "Which carrier has the longest period?"));
        assert!(!opposites("Is it the best way?", "Is it the best approach?"));
    }
}
