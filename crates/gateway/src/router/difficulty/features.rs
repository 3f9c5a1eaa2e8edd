//! Surface cues of how hard a prompt is, beside its embedding: length, how much of it is
//! numbers and symbols, negations ("which is NOT"), calculation verbs, answer options. On the
//! routing dev data they alone rank prompts about as well as the embedding alone does, and
//! the two together better than either.

use regex::Regex;
use std::sync::LazyLock;

pub const COUNT: usize = 14;

static NEGATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(NOT|EXCEPT|LEAST)\b").expect("valid regex"));
static CALCULATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(calculate|compute|find|solve|how many|how much|what is the value)\b").expect("valid regex"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+(\.\d+)?").expect("valid regex"));
static FRACTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+/\d+").expect("valid regex"));
static OPTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n\(?[A-Ea-e][.)]\s").expect("valid regex"));

pub fn of(text: &str) -> [f32; COUNT] {
    let chars = text.chars().count().max(1) as f32;
    let digits = text.chars().filter(char::is_ascii_digit).count() as f32;
    let symbols = text.chars().filter(|c| "=+-*/^<>".contains(*c)).count() as f32;
    // Multiple-choice prompts: the question before the options, and the options.
    let mut parts = OPTION.split(text);
    let stem = parts.next().unwrap_or(text);
    let options: Vec<&str> = parts.collect();
    let option_digits = options.iter().map(|o| o.chars().filter(char::is_ascii_digit).count() as f32 / o.chars().count().max(1) as f32).sum::<f32>() / options.len().max(1) as f32;
    let option_len = options.iter().map(|o| o.chars().count() as f32).sum::<f32>() / options.len().max(1) as f32;
    [
        chars.ln_1p(),
        digits / chars,
        digits.ln_1p(),
        symbols / chars,
        text.matches('\n').count() as f32,
        NEGATION.is_match(text) as u8 as f32,
        NUMBER.find_iter(text).count() as f32,
        (stem.chars().count() as f32).ln_1p(),
        option_digits,
        option_len.ln_1p(),
        CALCULATE.is_match(stem) as u8 as f32,
        (stem.matches('$').count() + stem.matches('%').count()) as f32,
        FRACTION.find_iter(text).count() as f32,
        stem.matches(". ").count() as f32,
    ]
}
