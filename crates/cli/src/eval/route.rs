//! `sluice eval route`: the difficulty router on prompts labelled with how a weak and a strong
//! model did (RouteLLM's recorded answers), scored by RouteLLM's metrics.
//!
//! Without `--folds`, the shipped model scores each file. With `--folds K`, each file is split
//! into K folds and every prompt is scored by a model fitted on the other folds and on the
//! other files given, never on itself: the shipped model's training, minus what is scored.
//! `--save` fits on everything given and writes a model file (how `default-model.json` is made).

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::json;
use sluice_gateway::embed::{Embedder, MiniLm};
use sluice_gateway::router::difficulty::{fit, route_metrics, DifficultyModel, Example};
use std::io::BufRead;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct EvalRouteArgs {
    /// JSON lines `{"prompt", "weak_correct", "strong_correct"}`; repeat for several files.
    #[arg(long, required = true)]
    data: Vec<PathBuf>,
    /// The embedding model folder.
    #[arg(long, env = "SLUICE_EMBED_MODEL_DIR")]
    model_dir: PathBuf,
    /// Score out-of-fold: K folds per file, each scored by a model fitted without it.
    #[arg(long)]
    folds: Option<usize>,
    /// Fit a model on all the files given and write it here (JSON).
    #[arg(long)]
    save: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Line {
    prompt: String,
    weak_correct: bool,
    strong_correct: bool,
}

pub fn run(args: EvalRouteArgs) -> Result<()> {
    anyhow::ensure!(args.folds.is_none_or(|k| k >= 2), "--folds needs at least 2");
    let model = MiniLm::load(&args.model_dir)?;
    let files: Vec<Vec<Example>> = args.data.iter().map(|path| read(path, &model)).collect::<Result<_>>()?;
    if let Some(out) = &args.save {
        let all: Vec<&Example> = files.iter().flatten().collect();
        let provenance = format!(
            "sluice eval route --save, fitted on {} (RouteLLM's recorded weak/strong answers: Mixtral-8x7B-Instruct vs GPT-4-1106, Apache-2.0)",
            args.data.iter().zip(&files).map(|(p, f)| format!("{} ({} prompts)", p.file_name().unwrap_or_default().to_string_lossy(), f.len())).collect::<Vec<_>>().join(", ")
        );
        let fitted = fit(&all, &provenance);
        std::fs::write(out, serde_json::to_string(&fitted)? + "\n").with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!("sluice eval: wrote {}", out.display());
    }
    for (i, (path, examples)) in args.data.iter().zip(&files).enumerate() {
        let scores: Vec<f32> = match args.folds {
            None => examples.iter().map(|e| DifficultyModel::shipped().score(&e.text, &e.embedding)).collect(),
            Some(k) => out_of_fold(&files, i, k),
        };
        let labels: Vec<(bool, bool)> = examples.iter().map(|e| (e.weak_correct, e.strong_correct)).collect();
        let metrics = route_metrics(&scores, &labels);
        let router = match args.folds {
            None => "shipped".to_owned(),
            Some(k) => format!("out-of-fold, {k} folds"),
        };
        println!("{}", json!({ "data": path.display().to_string(), "router": router, "metrics": metrics }));
    }
    Ok(())
}

/// Each prompt of file `i`, scored by a model fitted on the other folds of it and the other files.
fn out_of_fold(files: &[Vec<Example>], i: usize, k: usize) -> Vec<f32> {
    let fold = |e: &Example| fnv(&e.text) as usize % k;
    let mut scores = vec![0.0; files[i].len()];
    for f in 0..k {
        let train: Vec<&Example> = files.iter().enumerate().flat_map(|(j, file)| file.iter().filter(move |e| j != i || fold(e) != f)).collect();
        let model = fit(&train, "fold");
        for (n, e) in files[i].iter().enumerate().filter(|(_, e)| fold(e) == f) {
            scores[n] = model.score(&e.text, &e.embedding);
        }
        eprintln!("sluice eval: fold {} of {k} done", f + 1);
    }
    scores
}

/// A stable fold for a prompt, whatever order the file is in (the dev files are sorted by
/// subject, so folds by position would hold out whole subjects).
pub fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// Reads and embeds a file, on all cores; a prompt longer than the model reads is embedded
/// by its head, as the live router does.
pub fn read(path: &Path, model: &MiniLm) -> Result<Vec<Example>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut lines = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if !line.trim().is_empty() {
            lines.push(serde_json::from_str::<Line>(&line).with_context(|| format!("{} line {}: expected {{\"prompt\", \"weak_correct\", \"strong_correct\"}}", path.display(), n + 1))?);
        }
    }
    anyhow::ensure!(!lines.is_empty(), "{} has no prompts", path.display());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let vectors: Vec<Result<Vec<f32>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = lines
            .chunks(lines.len().div_ceil(workers))
            .map(|chunk| scope.spawn(move || chunk.iter().map(|l| Ok(model.embed_head(l.prompt.trim())?.0)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("embedding thread panicked")).collect()
    });
    eprintln!("sluice eval: embedded {} prompts of {}", lines.len(), path.display());
    lines.into_iter().zip(vectors).map(|(l, v)| Ok(Example { text: l.prompt.trim().to_owned(), embedding: v?, weak_correct: l.weak_correct, strong_correct: l.strong_correct })).collect()
}
