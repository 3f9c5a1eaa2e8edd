//! Fetching the embedding model for people who have none: the three files the embedder reads,
//! from the model's Hugging Face repository at a pinned revision, each checked against its
//! SHA-256 before anything is installed. Files land in `<dir>.partial` and move into `dir` only
//! when all of them match, `model.safetensors` last (the loader looks for it), so a cut download
//! or a tampered file never leaves a half-model where the loader looks. Nothing else in `dir`
//! is touched: it may be a folder the person chose.

use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use crate::hex;
use tokio::io::AsyncWriteExt;

/// The revision the checksums below belong to.
const REVISION: &str = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf";
const REPOSITORY: &str = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2";

/// What the embedder reads, with the SHA-256 of the pinned revision's copy (the same values as
/// the test model's SHA256SUMS; a test keeps them in step).
pub const FILES: &[(&str, &str)] = &[
    ("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
    ("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    ("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
];

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("cannot download {file} from {url}: {reason}")]
    Fetch { file: &'static str, url: String, reason: String },
    #[error("{file} does not match its checksum (expected sha256 {expected}, got {actual}); nothing was installed")]
    Checksum { file: &'static str, expected: &'static str, actual: String },
    #[error("{path} is missing {file}: a model folder needs config.json, tokenizer.json and model.safetensors")]
    Missing { path: PathBuf, file: &'static str },
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Where the files come from: Hugging Face, or `SLUICE_MODEL_URL` (a mirror, or a test server)
/// laid out like it (`<base>/resolve/<revision>/<file>`).
fn base_url() -> String {
    std::env::var("SLUICE_MODEL_URL").unwrap_or_else(|_| REPOSITORY.to_owned())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io { path: path.to_owned(), source }
}

/// Downloads the model into `dir`; `progress(done, total)` follows the bytes (total is 0 until
/// the server says).
pub async fn download(client: &reqwest::Client, dir: &Path, progress: impl Fn(u64, u64)) -> Result<(), DownloadError> {
    let partial = staging(dir);
    let _ = tokio::fs::remove_dir_all(&partial).await;
    tokio::fs::create_dir_all(&partial).await.map_err(io(&partial))?;
    let base = base_url();
    let mut done_before = 0;
    let mut total_known = 0;
    for (file, expected) in FILES {
        let url = format!("{}/resolve/{REVISION}/{file}", base.trim_end_matches('/'));
        let fail = |reason: String| DownloadError::Fetch { file, url: url.clone(), reason };
        let response = client.get(&url).send().await.map_err(|e| fail(e.to_string()))?;
        if !response.status().is_success() {
            return Err(fail(format!("the server answered {}", response.status())));
        }
        total_known += response.content_length().unwrap_or(0);
        let path = partial.join(file);
        let mut out = tokio::fs::File::create(&path).await.map_err(io(&path))?;
        let mut hash = Sha256::new();
        let mut done = 0;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| fail(e.to_string()))?;
            hash.update(&chunk);
            out.write_all(&chunk).await.map_err(io(&path))?;
            done += chunk.len() as u64;
            progress(done_before + done, total_known);
        }
        out.sync_all().await.map_err(io(&path))?;
        done_before += done;
        let actual = hex(&hash.finalize());
        if actual != *expected {
            let _ = tokio::fs::remove_dir_all(&partial).await;
            return Err(DownloadError::Checksum { file, expected, actual });
        }
    }
    install(&partial, dir).await
}

/// Copies a model from a folder the person picked, checking every file like a download.
pub async fn import(from: &Path, dir: &Path) -> Result<(), DownloadError> {
    let partial = staging(dir);
    let _ = tokio::fs::remove_dir_all(&partial).await;
    tokio::fs::create_dir_all(&partial).await.map_err(io(&partial))?;
    for (file, expected) in FILES {
        let source = from.join(file);
        if !source.is_file() {
            return Err(DownloadError::Missing { path: from.to_owned(), file });
        }
        let target = partial.join(file);
        tokio::fs::copy(&source, &target).await.map_err(io(&target))?;
        let bytes = tokio::fs::read(&target).await.map_err(io(&target))?;
        let actual = tokio::task::spawn_blocking(move || hex(&Sha256::digest(&bytes))).await.expect("hashing does not panic");
        if actual != *expected {
            let _ = tokio::fs::remove_dir_all(&partial).await;
            return Err(DownloadError::Checksum { file, expected, actual });
        }
    }
    install(&partial, dir).await
}

fn staging(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    dir.with_file_name(name)
}

/// Moves the verified files where the loader looks, replacing older copies of those files only.
async fn install(partial: &Path, dir: &Path) -> Result<(), DownloadError> {
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    for (file, _) in FILES {
        let target = dir.join(file);
        tokio::fs::rename(partial.join(file), &target).await.map_err(io(&target))?;
    }
    tokio::fs::remove_dir(partial).await.map_err(io(partial))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compiled-in checksums are the test model's (../shared/models/.../SHA256SUMS).
    #[test]
    fn checksums_match_the_reference_sums() {
        let sums = std::fs::read_to_string(super::super::tests::model_dir().join("SHA256SUMS")).unwrap();
        for (file, expected) in FILES {
            assert!(sums.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == [*expected, *file]), "{file}: {expected} not in SHA256SUMS");
        }
    }
}
