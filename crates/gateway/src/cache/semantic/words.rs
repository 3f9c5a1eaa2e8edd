//! Word-level checks for changes an embedding barely registers: a different name ("Mono
//! County" vs "Merced County", "mechanical engineer" vs "electrical engineer" when capitalised,
//! "MBA in IT") and a word swapped for its opposite ("minimize" vs "maximize").
//!
//! Measured on the dev data (docs/semantic-cache.md): the name check cut QQP's false hits at
//! cosine 0.9 from 5.75 % to 4.27 % for recall 0.397 → 0.367, and cost the paraphrase simulation
//! little; a check on the order of shared names cost the simulation more than it gained and was
//! left out.

use std::collections::BTreeSet;

/// Words as compared: lowercase, without inner dots ("Ph.D" is "PhD"), a possessive ("Mars'")
/// or a plural `s`.
fn normalize(word: &str) -> String {
    let w = word.to_lowercase().replace('.', "");
    let w = w.strip_suffix("'s").unwrap_or(&w).trim_end_matches('\'');
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
fn names(text: &str) -> Vec<&str> {
    tokens(text)
        .into_iter()
        .filter(|(w, start)| {
            let capitals = w.chars().filter(|c| c.is_uppercase()).count();
            capitals >= 2 || (!start && *w != "I" && w.chars().next().is_some_and(char::is_uppercase))
        })
        .map(|(w, _)| w)
        .collect()
}

/// Every word, and every part of a dotted one: "torch.utils.DataLoader" mentions "DataLoader".
fn vocabulary(text: &str) -> BTreeSet<String> {
    tokens(text).into_iter().flat_map(|(w, _)| std::iter::once(w).chain(w.split('.'))).map(normalize).collect()
}

/// Whether a text with `vocabulary` mentions `name`: whole, or by the last part of a dotted one
/// ("DataLoader" for "torch.utils.data.DataLoader").
fn mentions(vocabulary: &BTreeSet<String>, name: &str) -> bool {
    vocabulary.contains(&normalize(name)) || name.rsplit_once('.').is_some_and(|(_, last)| vocabulary.contains(&normalize(last)))
}

/// Whether either question names something the other never mentions (in any casing, or spelled
/// out for an acronym).
pub fn names_differ(a: &str, b: &str) -> bool {
    let (mut va, mut vb) = (vocabulary(a), vocabulary(b));
    for (acronym, words) in spelled_out(a, b) {
        vb.insert(acronym);
        va.extend(words);
    }
    for (acronym, words) in spelled_out(b, a) {
        va.insert(acronym);
        vb.extend(words);
    }
    names(a).into_iter().any(|n| !mentions(&vb, n)) || names(b).into_iter().any(|n| !mentions(&va, n))
}

/// The acronyms in `text` that `other` spells out, each with the words that spell it: "ML" by
/// "Machine Learning", "CS" by "computer science", "JS" by "JavaScript". A word gives its
/// initial if it is capitalised or has four letters or more, and is not a letter itself, so
/// "IT" is not read into "is the", nor "AB" into "type A blood".
fn spelled_out(text: &str, other: &str) -> Vec<(String, Vec<String>)> {
    let words: Vec<&str> = tokens(other).into_iter().map(|(w, _)| w).collect();
    let initial = |word: &str, letter: char| {
        let (first, letters) = (word.chars().next().unwrap_or(' '), word.chars().count());
        first.to_ascii_uppercase() == letter && letters >= 2 && (first.is_uppercase() || letters >= 4)
    };
    tokens(text)
        .into_iter()
        .map(|(w, _)| w)
        .filter(|w| (2..=6).contains(&w.len()) && w.chars().all(|c| c.is_ascii_uppercase()))
        .filter_map(|acronym| {
            let camel = words.iter().find(|w| w.len() > acronym.len() && w.chars().filter(char::is_ascii_uppercase).eq(acronym.chars()));
            let spelling = match camel {
                Some(word) => vec![*word],
                None => words.windows(acronym.len()).find(|run| run.iter().zip(acronym.chars()).all(|(w, c)| initial(w, c)))?.to_vec(),
            };
            Some((normalize(acronym), spelling.into_iter().map(normalize).collect()))
        })
        .collect()
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
        assert!(!names_differ("Which PhD programs accept me?", "Which Ph.D programs accept me?"));
        assert!(!names_differ("How do I wrap it in a DataLoader?", "How do I wrap it with torch.utils.data.DataLoader?"));
    }

    #[test]
    fn an_acronym_may_be_spelled_out() {
        assert!(!names_differ("Which US universities offer an MS in CS?", "Which US universities offer an MS in Computer Science?"));
        assert!(!names_differ("Is AI dangerous?", "Is artificial intelligence dangerous?"));
        assert!(!names_differ("What are demos for ML tasks?", "What are demos for Machine Learning tasks?"));
        assert!(!names_differ("A collection of JS libraries", "A collection of JavaScript libraries"));
        assert!(names_differ("What is ML?", "What is the meaning of life?"));
        assert!(names_differ("Is JS hard?", "Is Java hard?"));
        assert!(names_differ("Can a mother with type AB blood have it?", "Can a mother with type A blood have it?"));
        assert!(!names_differ("What if Earth moved to Mars' orbit?", "What if Earth moved to Mars orbit?"));
    }

    #[test]
    fn opposite_words_are_caught() {
        assert!(opposites("Which configurations would minimize the fraction?", "Which configurations would maximize the fraction?"));
        assert!(opposites("Which carrier has the shortest period?", "Which carrier has the longest period?"));
        assert!(!opposites("Is it the best way?", "Is it the best approach?"));
    }
}
