//! Splitting a long text on its own structure: blocks (paragraphs, list items) and, inside a
//! block, sentences; never mid-sentence. A heading goes with the first sentence after it (alone
//! it is a few words that match every question about its section). Text without blank lines or list markers
//! falls back to sentence chunks. Chunks are byte ranges of the original text, so what is kept
//! is rendered with the separators it had.
//!
//! `<sluice:keep>…</sluice:keep>` marks a part that must stay (instructions, the output format):
//! its blocks are kept whatever the question, and the markers themselves are not sent.

use std::ops::Range;

pub const KEEP_OPEN: &str = "<sluice:keep>";
pub const KEEP_CLOSE: &str = "</sluice:keep>";

/// Sentences shorter than this many bytes join the next one: a heading, "Yes.", a list number.
const MIN_CHUNK: usize = 40;

#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub range: Range<usize>,
    /// The block (paragraph, heading, list item) it belongs to.
    pub block: usize,
    /// Inside `<sluice:keep>`.
    pub keep: bool,
}

/// The chunks of `text`, in order.
pub fn split(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut block = 0;
    let mut heading: Option<usize> = None;
    for (range, keep) in kept_regions(text) {
        for b in blocks(text, range) {
            if text[b.clone()].starts_with('#') {
                heading = heading.or(Some(b.start));
                continue;
            }
            for (n, mut s) in sentences(text, b).into_iter().enumerate() {
                if n == 0 {
                    s.start = heading.take().unwrap_or(s.start);
                }
                chunks.push(Chunk { range: s, block, keep });
            }
            block += 1;
        }
    }
    // Headings with nothing after them.
    if let Some(start) = heading {
        chunks.push(Chunk { range: start..text.trim_end().len(), block, keep: false });
    }
    chunks
}

/// The text cut into marked and unmarked regions (markers excluded).
fn kept_regions(text: &str) -> Vec<(Range<usize>, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = text[at..].find(KEEP_OPEN).map(|i| at + i) {
        let inner = open + KEEP_OPEN.len();
        let close = text[inner..].find(KEEP_CLOSE).map_or(text.len(), |i| inner + i);
        out.push((at..open, false));
        out.push((inner..close, true));
        at = (close + KEEP_CLOSE.len()).min(text.len());
    }
    out.push((at..text.len(), false));
    out.retain(|(r, _)| !text[r.clone()].trim().is_empty());
    out
}

/// Blocks: runs of lines between blank lines, a heading line alone, each list item alone.
fn blocks(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut at = range.start;
    for line in text[range.clone()].split_inclusive('\n') {
        let span = at..at + line.len();
        at += line.len();
        let t = line.trim();
        let starts_block = t.starts_with('#') || is_list_item(t);
        if t.is_empty() || starts_block {
            if let Some(c) = current.take() {
                out.push(c);
            }
        }
        if t.is_empty() {
            continue;
        }
        if t.starts_with('#') {
            out.push(span);
            continue;
        }
        current = Some(match current {
            Some(c) => c.start..span.end,
            None => span,
        });
    }
    out.extend(current);
    out.into_iter().map(|r| trim(text, r)).filter(|r| !r.is_empty()).collect()
}

fn is_list_item(line: &str) -> bool {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    line.starts_with("- ") || line.starts_with("* ") || line.starts_with("• ") || (digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")))
}

/// The range without its leading and trailing whitespace.
fn trim(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let start = r.start + (s.len() - s.trim_start().len());
    let end = r.end - (s.len() - s.trim_end().len());
    start..end.max(start)
}

/// Sentences of a block: a cut after `.`, `!` or `?` (and closing quotes or brackets) followed
/// by whitespace and an upper-case letter, a digit or an opening quote; short ones join the next.
fn sentences(text: &str, block: Range<usize>) -> Vec<Range<usize>> {
    let s = &text[block.clone()];
    let mut cuts = Vec::new();
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    for (i, &(_, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && matches!(chars[j].1, '"' | '\'' | ')' | ']' | '”' | '’') {
            j += 1;
        }
        let space = j;
        while j < chars.len() && chars[j].1.is_whitespace() {
            j += 1;
        }
        if j > space && j < chars.len() && (chars[j].1.is_uppercase() || chars[j].1.is_ascii_digit() || matches!(chars[j].1, '"' | '“' | '(' | '\'')) {
            cuts.push((chars[space].0, chars[j].0));
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (end, next) in cuts {
        if end - start >= MIN_CHUNK {
            out.push(block.start + start..block.start + end);
            start = next;
        }
    }
    match out.last_mut() {
        // A short tail joins the sentence before it.
        Some(last) if s.len() - start < MIN_CHUNK => last.end = block.end,
        _ => out.push(block.start + start..block.end),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(&str, usize, bool)> {
        split(text).into_iter().map(|c| (&text[c.range], c.block, c.keep)).collect()
    }

    #[test]
    fn blocks_then_sentences_never_mid_sentence() {
        let text = "# Title\n\nFirst paragraph has one long sentence about rivers and lakes. It has a second one about St. Louis and the U.S. economy too.\n\n- item one is a list item of some length\n- item two\n\n<sluice:keep>Answer in JSON with the keys name and city.</sluice:keep>\nTail.";
        assert_eq!(
            texts(text),
            [
                ("# Title\n\nFirst paragraph has one long sentence about rivers and lakes.", 0, false),
                ("It has a second one about St. Louis and the U.S. economy too.", 0, false),
                ("- item one is a list item of some length", 1, false),
                ("- item two", 2, false),
                ("Answer in JSON with the keys name and city.", 3, true),
                ("Tail.", 4, false),
            ]
        );
    }

    #[test]
    fn text_without_structure_falls_back_to_sentences() {
        let text = "Sluices hold water back until it is needed downstream. Gates open at dawn for the farms below. Ok. The keeper logs each opening in a book kept at the lock.";
        let got = texts(text);
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|(_, block, _)| *block == 0));
        assert_eq!(got[1].0, "Gates open at dawn for the farms below. Ok.", "a short sentence joins its neighbour");
    }
}
