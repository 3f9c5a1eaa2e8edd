//! `sluice`: the Sluice engine without the desktop app, for servers and CI.

mod eval;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sluice_gateway::{Gateway, GatewayOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// glibc's allocator showed up as a fifth of the proxy's CPU time under load and kept freed
/// memory in per-thread arenas; mimalloc is faster and returns memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "sluice", version, about = "A local OpenAI-compatible gateway that cuts LLM spend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway until SIGINT/SIGTERM, then drain in-flight requests and flush the log.
    Serve(ServeArgs),
    /// Measure Sluice's decisions on labelled data.
    #[command(subcommand)]
    Eval(EvalCommand),
}

#[derive(Subcommand)]
enum EvalCommand {
    /// The semantic cache's decision on question pairs: precision, recall, false-hit rate.
    Cache(eval::cache::EvalCacheArgs),
    /// The difficulty router on prompts labelled by how a weak and a strong model did:
    /// RouteLLM's CPT(50 %), CPT(80 %), APGR and the curve.
    Route(eval::route::EvalRouteArgs),
    /// What compression keeps of articles with questions and gold answers: retention, the
    /// ratio achieved and the time per request, as JSON.
    Compress(eval::compress::EvalCompressArgs),
    /// A prompt suite on several targets, checked and judged; exits 1 below `--min-pass`, 2
    /// when the suite cannot run.
    Prompts(eval::prompts::EvalPromptsArgs),
    /// The quality loop simulated: cache traffic replayed with sampled verdicts moving the
    /// threshold; wrong-hit share and hits against the default, and the judge calls it cost.
    Loop(eval::quality::EvalLoopArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Config file (TOML). Default: config.toml in the data dir, if it exists.
    #[arg(long, env = "SLUICE_CONFIG")]
    config: Option<PathBuf>,
    /// Where the database and token live. Default: the platform's data folder.
    #[arg(long, env = "SLUICE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on, overriding the config (e.g. 127.0.0.1:0 for any free port).
    #[arg(long, env = "SLUICE_LISTEN")]
    listen: Option<SocketAddr>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("start the async runtime");
    let result = match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
        Command::Eval(EvalCommand::Cache(args)) => eval::cache::run(args, runtime.handle()),
        Command::Eval(EvalCommand::Route(args)) => eval::route::run(args),
        Command::Eval(EvalCommand::Compress(args)) => eval::compress::run(args),
        Command::Eval(EvalCommand::Loop(args)) => eval::quality::run(args),
        // 0: every target met the bar; 1: one did not; 2: the suite could not run.
        Command::Eval(EvalCommand::Prompts(args)) => {
            return match runtime.block_on(eval::prompts::run(args)) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => {
                    eprintln!("sluice: {e:#}");
                    ExitCode::from(2)
                }
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let options = GatewayOptions {
        config_path: args.config,
        data_dir: args.data_dir,
        listen: args.listen,
        // Read here rather than through clap so the token never shows up in `--help` output.
        token: std::env::var("SLUICE_TOKEN").ok(),
        keys: None,
    };
    let gateway = Gateway::bind(options).await?;
    let engine = gateway.engine();
    println!("sluice listening on http://{}", gateway.local_addr());
    println!("ui:     http://{}/", gateway.local_addr());
    println!("token:  {}", if engine.token_fixed() { "from SLUICE_TOKEN".to_owned() } else { engine.data_dir.join("token").display().to_string() });
    println!("config: {}", engine.config_path.display());
    println!("data:   {}", engine.data_dir.display());
    gateway.run(shutdown_signal()).await.context("the server stopped with an error")?;
    eprintln!("sluice: stopped; request log flushed");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
