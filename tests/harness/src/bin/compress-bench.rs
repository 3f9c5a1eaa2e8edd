//! The cost of compression, in process (release build), with the code the gateway runs:
//! retrieval over a ~10,000-token system prompt (real Wikipedia text from the development
//! articles) on the first sight of the prompt (preparing it: chunks, token counts, BM25) and
//! once it is prepared with its chunks' embeddings in; the question's embedding, which the
//! semantic cache shares; and pruning a 200-turn conversation whose messages' token counts are
//! known from earlier turns. Prints JSON (medians) for `cargo xtask bench`. Needs
//! `SLUICE_EMBED_MODEL_DIR` and `SLUICE_COMPRESS_DATA` (the articles file).

use serde_json::{json, Value};
use sluice_gateway::compress::{prune, Compressor, Document, WEIGHTS};
use sluice_gateway::config::CompressConfig;
use sluice_gateway::embed::{cosine, Embedder, MiniLm};
use std::hint::black_box;
use std::time::Instant;

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut(usize) -> T) -> f64 {
    median((0..runs).map(|i| {
        let started = Instant::now();
        black_box(f(i));
        started.elapsed().as_secs_f64() * 1e3
    }).collect())
}

fn main() {
    let model = MiniLm::load(std::env::var("SLUICE_EMBED_MODEL_DIR").expect("SLUICE_EMBED_MODEL_DIR").as_ref()).expect("the embedding model loads");
    let data = std::fs::read_to_string(std::env::var("SLUICE_COMPRESS_DATA").expect("SLUICE_COMPRESS_DATA")).expect("the articles file reads");
    // Paragraphs from the articles until the prompt holds about 10,000 tokens.
    let mut text = String::new();
    let paragraphs: Vec<String> = data.lines().flat_map(|line| {
        let article: Value = serde_json::from_str(line).expect("an article");
        article["paragraphs"].as_array().into_iter().flatten().filter_map(|p| p.as_str().map(str::to_owned)).collect::<Vec<_>>()
    }).collect();
    for p in &paragraphs {
        if sluice_gateway::pricing::count_tokens(&text) >= 10_000 {
            break;
        }
        text.push_str(p);
        text.push_str("\n\n");
    }
    let question = "What was Maria Curie the first female recipient of?";
    let policy = CompressConfig { retrieval: true, ratio: Some(0.1), ..CompressConfig::default() };
    let _ = sluice_gateway::pricing::count_tokens("warm the vocabulary");
    // First sight: a prompt never prepared (a different one each run), ranked lexically.
    let miss_ms = time(20, |i| {
        let doc = Document::new(format!("{text}Run {i}."));
        let scores = doc.scores(question, None, WEIGHTS);
        doc.select(&scores, policy.budget(doc.total_tokens))
    });
    let doc = Document::new(text.clone());
    let vectors: Vec<Vec<f32>> = doc.pieces().map(|p| model.embed_head(p).expect("embeds").0).collect();
    let q = model.embed_head(question).expect("embeds").0;
    let cached_ms = time(200, |_| {
        let meaning: Vec<f32> = vectors.iter().map(|v| cosine(v, &q)).collect();
        let scores = doc.scores(question, Some(&meaning), WEIGHTS);
        doc.select(&scores, policy.budget(doc.total_tokens))
    });
    let question_ms = time(50, |_| model.embed_head(question).expect("embeds"));
    let chunk_embedding_ms = time(3, |_| doc.pieces().take(50).for_each(|p| drop(black_box(model.embed_head(p).expect("embeds"))))) / 50.0 * doc.chunks.len() as f64;
    // 200 turns of about 60 tokens each, their counts known from the turns before.
    let turns: Vec<Value> = std::iter::once(json!({"role": "system", "content": "You are a helpful assistant."}))
        .chain((0..200).map(|i| {
            let words: Vec<&str> = text.split_whitespace().skip(i * 45).take(45).collect();
            json!({"role": if i % 2 == 0 { "user" } else { "assistant" }, "content": words.join(" ")})
        }))
        .chain(std::iter::once(json!({"role": "user", "content": question})))
        .collect();
    let counter = Compressor::default();
    let tokens: Vec<u32> = turns.iter().map(|m| counter.tokens(&prune::text_of(m))).collect();
    let prune_policy = CompressConfig { pruning: true, ratio: Some(0.25), ..CompressConfig::default() };
    let prune_ms = time(100, |_| {
        let counted: Vec<u32> = turns.iter().map(|m| counter.tokens(&prune::text_of(m))).collect();
        prune::prune(&turns, &counted, prune_policy.recent_messages, |t| prune_policy.budget(t))
    });
    println!(
        "{}",
        json!({
            "prompt_tokens": doc.total_tokens,
            "chunks": doc.chunks.len(),
            "retrieval_first_sight_ms": miss_ms,
            "retrieval_prepared_with_embeddings_ms": cached_ms,
            "question_embedding_ms": question_ms,
            "chunk_embeddings_background_ms": chunk_embedding_ms,
            "conversation_tokens": tokens.iter().sum::<u32>(),
            "prune_200_turns_ms": prune_ms,
        })
    );
}
