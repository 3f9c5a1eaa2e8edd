//! `sluice eval compress`: what compression keeps, on articles with questions and gold answers
//! (SQuAD's shape). Each article is a long system prompt and each question the user message;
//! retention is the share of questions whose gold answer is still in the compressed prompt.
//! The same code as the live path prepares the article, scores and selects its chunks, and
//! prunes conversations.
//!
//! With `--model-dir`, chunks and questions are embedded as on a live path whose chunk
//! embeddings are in (a prompt seen before); without it, ranking is lexical, as on the first
//! sight of a prompt. `--folds K` picks the embedding's weight on the other folds of articles
//! for each fold (out-of-fold numbers). `--conversations` also builds long conversations from
//! the articles (a question and its paragraph per turn, then a question about an early turn)
//! and measures pruning on them.

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_gateway::compress::{prune, Compressor, Document, Weights, WEIGHTS};
use sluice_gateway::config::CompressConfig;
use sluice_gateway::embed::{cosine, Embedder, MiniLm};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct EvalCompressArgs {
    /// JSON lines `{"title", "paragraphs": [...], "questions": [{"question", "answers": [...]}]}`.
    #[arg(long)]
    data: PathBuf,
    /// Shares of the tokens to keep, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0.2,0.1,0.05")]
    budget: Vec<f64>,
    /// The embedding model folder; without it, ranking is lexical only.
    #[arg(long, env = "SLUICE_EMBED_MODEL_DIR")]
    model_dir: Option<PathBuf>,
    /// Choose the embedding's weight out of fold: K folds of articles.
    #[arg(long)]
    folds: Option<usize>,
    /// Also measure pruning on conversations built from the articles.
    #[arg(long)]
    conversations: bool,
}

#[derive(Deserialize)]
struct Article {
    title: String,
    paragraphs: Vec<String>,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    question: String,
    answers: Vec<String>,
    #[serde(default)]
    paragraph: Option<usize>,
}

/// An article prepared: the document, its chunks' embeddings and each question's.
struct Prepared {
    doc: Document,
    chunk_vectors: Option<Vec<Vec<f32>>>,
    questions: Vec<(String, Vec<String>, Option<Vec<f32>>)>,
}

/// The embedding weights tried with `--folds`.
const MEANING_GRID: [f32; 4] = [0.0, 0.5, 1.0, 2.0];

pub fn run(args: EvalCompressArgs) -> Result<()> {
    anyhow::ensure!(args.budget.iter().all(|b| *b > 0.0 && *b <= 1.0), "--budget takes shares of the tokens, each more than 0 and at most 1");
    anyhow::ensure!(args.folds.is_none_or(|k| k >= 2), "--folds needs at least 2");
    let text = std::fs::read_to_string(&args.data).with_context(|| format!("cannot read {}", args.data.display()))?;
    let articles: Vec<Article> = text.lines().filter(|l| !l.trim().is_empty()).enumerate().map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{} line {}", args.data.display(), i + 1))).collect::<Result<_>>()?;
    let model = args.model_dir.as_ref().map(|d| MiniLm::load(d)).transpose()?;
    anyhow::ensure!(args.folds.is_none() || model.is_some(), "--folds chooses the embedding's weight; give --model-dir");
    let prepared: Vec<Prepared> = articles.iter().map(|a| prepare(a, model.as_ref())).collect::<Result<_>>()?;
    let weights: Vec<Weights> = match args.folds {
        None => vec![WEIGHTS; prepared.len()],
        Some(k) => out_of_fold(&prepared, &args.budget, k),
    };
    let budgets: Vec<Value> = args.budget.iter().map(|&b| retrieval(&prepared, &weights, b)).collect();
    let mut out = json!({
        "data": args.data.display().to_string(),
        "articles": articles.len(),
        "questions": prepared.iter().map(|p| p.questions.len()).sum::<usize>(),
        "ranking": if model.is_some() { "hybrid (BM25 + embeddings)" } else { "lexical (BM25)" },
        "meaning_weights": weights.iter().map(|w| w.meaning).collect::<Vec<_>>(),
        "retrieval": budgets,
    });
    if args.conversations {
        out["pruning"] = json!(args.budget.iter().map(|&b| pruning(&articles, b)).collect::<Vec<_>>());
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn prepare(article: &Article, model: Option<&MiniLm>) -> Result<Prepared> {
    let doc = Document::new(article.paragraphs.join("\n\n"));
    let embed = |t: &str| model.map(|m| m.embed_head(t).map(|(v, _)| v)).transpose();
    let chunk_vectors = model.map(|_| doc.pieces().map(|p| embed(p).map(Option::unwrap_or_default)).collect::<Result<Vec<_>, _>>()).transpose()?;
    let questions = article.questions.iter().map(|q| Ok((q.question.clone(), q.answers.clone(), embed(&q.question)?))).collect::<Result<_, sluice_gateway::embed::EmbedError>>()?;
    eprintln!("sluice eval: {} prepared ({} chunks, {} tokens)", article.title, doc.chunks.len(), doc.total_tokens);
    Ok(Prepared { doc, chunk_vectors, questions })
}

/// Kept answers and kept tokens for one article at one budget and weights, and the time spent.
fn score_article(p: &Prepared, w: Weights, share: f64) -> (usize, u64, f64) {
    let policy = CompressConfig { ratio: Some(share), ..CompressConfig::default() };
    let budget = policy.budget(p.doc.total_tokens);
    let (mut kept, mut tokens, mut secs) = (0, 0, 0.0);
    for (question, answers, vector) in &p.questions {
        let started = Instant::now();
        let meaning: Option<Vec<f32>> = p.chunk_vectors.as_ref().zip(vector.as_ref()).map(|(cs, q)| cs.iter().map(|c| cosine(c, q)).collect());
        let selection = p.doc.select(&p.doc.scores(question, meaning.as_deref(), w), budget);
        secs += started.elapsed().as_secs_f64();
        kept += usize::from(answers.iter().any(|a| selection.text.contains(a.as_str())));
        tokens += u64::from(selection.tokens);
    }
    (kept, tokens, secs)
}

fn retrieval(prepared: &[Prepared], weights: &[Weights], share: f64) -> Value {
    let (mut kept, mut questions, mut kept_tokens, mut all_tokens, mut secs) = (0, 0, 0u64, 0u64, 0.0);
    for (p, w) in prepared.iter().zip(weights) {
        let (k, t, s) = score_article(p, *w, share);
        kept += k;
        questions += p.questions.len();
        kept_tokens += t;
        all_tokens += u64::from(p.doc.total_tokens) * p.questions.len() as u64;
        secs += s;
    }
    json!({
        "budget": share,
        "retention": kept as f64 / questions.max(1) as f64,
        "ratio": kept_tokens as f64 / all_tokens.max(1) as f64,
        "ms_per_request": secs * 1e3 / questions.max(1) as f64,
    })
}

/// For each article, the weights that kept the most answers (over all budgets) on the articles
/// of the other folds.
fn out_of_fold(prepared: &[Prepared], budgets: &[f64], k: usize) -> Vec<Weights> {
    let fold = |i: usize| i % k;
    let candidates: Vec<Weights> = MEANING_GRID.iter().map(|&meaning| Weights { meaning, ..WEIGHTS }).collect();
    // kept[c][article]: answers kept over all budgets with candidate c.
    let kept: Vec<Vec<usize>> = candidates.iter().map(|&w| prepared.iter().map(|p| budgets.iter().map(|&b| score_article(p, w, b).0).sum()).collect()).collect();
    (0..prepared.len())
        .map(|i| {
            let on_others = |c: usize| (0..prepared.len()).filter(|&j| fold(j) != fold(i)).map(|j| kept[c][j]).sum::<usize>();
            let best = (0..candidates.len()).max_by_key(|&c| (on_others(c), std::cmp::Reverse(c))).expect("candidates");
            candidates[best]
        })
        .collect()
}

/// Conversations from an article: the system prompt, then for each paragraph a question about
/// it and the paragraph as the answer, then a question about one of the first paragraphs (one
/// conversation per early paragraph with a second question). Retention: the gold answer is
/// still somewhere in the pruned conversation.
fn pruning(articles: &[Article], share: f64) -> Value {
    let policy = CompressConfig { pruning: true, ratio: Some(share), ..CompressConfig::default() };
    let (mut kept, mut asked, mut before, mut after, mut secs) = (0, 0, 0u64, 0u64, 0.0);
    let counter = Compressor::default();
    for a in articles {
        let first_of = |p: usize| a.questions.iter().find(|q| q.paragraph == Some(p));
        let mut turns = vec![json!({ "role": "system", "content": format!("You answer questions about {}.", a.title) })];
        for (i, paragraph) in a.paragraphs.iter().enumerate() {
            let Some(q) = first_of(i) else { continue };
            turns.push(json!({ "role": "user", "content": q.question }));
            turns.push(json!({ "role": "assistant", "content": paragraph }));
        }
        let early = a.paragraphs.len().div_ceil(3);
        for p in 0..early {
            let Some(q) = a.questions.iter().filter(|q| q.paragraph == Some(p)).nth(1) else { continue };
            let mut messages = turns.clone();
            messages.push(json!({ "role": "user", "content": q.question }));
            // Counted as the live path counts them: once per distinct message, then remembered.
            let tokens: Vec<u32> = messages.iter().map(|m| counter.tokens(&prune::text_of(m))).collect();
            let started = Instant::now();
            let pruned = prune::prune(&messages, &tokens, policy.recent_messages, |t| policy.budget(t));
            secs += started.elapsed().as_secs_f64();
            let kept_messages = pruned.as_ref().map_or(&messages, |p| &p.messages);
            let text: String = kept_messages.iter().map(prune::text_of).collect::<Vec<_>>().join("\n");
            kept += usize::from(q.answers.iter().any(|ans| text.contains(ans.as_str())));
            asked += 1;
            if let Some(p) = &pruned {
                before += u64::from(p.before);
                after += u64::from(p.after);
            }
        }
    }
    json!({
        "budget": share,
        "conversations": asked,
        "retention": kept as f64 / asked.max(1) as f64,
        "ratio": after as f64 / before.max(1) as f64,
        "ms_per_request": secs * 1e3 / asked.max(1) as f64,
    })
}
