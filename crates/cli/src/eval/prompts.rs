//! `sluice eval prompts`: runs a prompt suite headless (for CI) through the configured
//! providers: it starts the gateway in-process on a free loopback port, so rules, prices,
//! fallbacks and the request log apply as they do live, and exits non-zero when a target's
//! pass rate is below the bar.

use anyhow::{Context, Result};
use sluice_gateway::suites::{self, Client, Report, RunOptions, Suite};
use sluice_gateway::{Gateway, GatewayOptions};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct EvalPromptsArgs {
    /// The suite: JSON lines, one case each (see docs/suites.md).
    #[arg(long)]
    suite: PathBuf,
    /// Targets to run on, comma-separated: "provider/model", route or model names.
    #[arg(long, value_delimiter = ',', required = true)]
    targets: Vec<String>,
    /// The model that grades `judge` checks (and compares with --reference).
    #[arg(long)]
    judge: Option<String>,
    /// Compare every target's answers with this target's, pairwise, with the judge.
    #[arg(long, requires = "judge")]
    reference: Option<String>,
    /// Fail (exit 1) when a target passes fewer than this share of cases.
    #[arg(long, default_value_t = 1.0)]
    min_pass: f64,
    /// Calls at once per provider.
    #[arg(long, default_value_t = 4)]
    per_provider: usize,
    /// A target within this much of the best pass rate is recommended if it is cheaper.
    #[arg(long, default_value_t = 0.05)]
    margin: f64,
    /// Print the whole report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[arg(long, env = "SLUICE_CONFIG")]
    config: Option<PathBuf>,
    #[arg(long, env = "SLUICE_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

/// `Ok(true)` when every target meets the bar.
pub async fn run(args: EvalPromptsArgs) -> Result<bool> {
    anyhow::ensure!((0.0..=1.0).contains(&args.min_pass), "--min-pass is a share, 0–1");
    let text = std::fs::read_to_string(&args.suite).with_context(|| format!("cannot read {}", args.suite.display()))?;
    let name = args.suite.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let suite = Suite::parse_jsonl(&name, &text);
    for p in &suite.problems {
        eprintln!("sluice eval: {} line {}, case {}, {}: {}", args.suite.display(), p.line, p.case, p.field, p.message);
    }
    anyhow::ensure!(!suite.cases.is_empty(), "{} has no case that can run", args.suite.display());
    let token = sluice_gateway::server::fresh_token();
    let options = GatewayOptions { config_path: args.config, data_dir: args.data_dir, listen: Some("127.0.0.1:0".parse()?), token: Some(token.clone()), keys: None };
    let gateway = Gateway::bind(options).await?;
    let base = format!("http://{}", gateway.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.run(async move {
        let _ = stopped.await;
    }));
    let client = Client::new(base, token);
    let mut targets = args.targets;
    // The reference's answers are needed to compare with; it is run like any target.
    if let Some(r) = args.reference.as_ref().filter(|r| !targets.contains(r)) {
        targets.push(r.clone());
    }
    let run_options = RunOptions { targets, judge: args.judge, reference: args.reference, per_provider: args.per_provider, margin: args.margin };
    let total = suite.cases.len() * run_options.targets.len();
    let answered = std::sync::atomic::AtomicUsize::new(0);
    let progress = |event: suites::Event| {
        if let suites::Event::Answered { .. } = event {
            let done = answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if done.is_multiple_of(50) || done == total {
                eprintln!("sluice eval: {done} of {total} answers");
            }
        }
    };
    let report = suites::run(&client, &suite, &run_options, suites::Prior::default(), &progress).await;
    let _ = stop.send(());
    server.await.context("the gateway task failed")??;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    let below: Vec<&str> = report.totals.iter().filter(|t| t.pass_rate < args.min_pass).map(|t| t.target.as_str()).collect();
    if !below.is_empty() {
        eprintln!("sluice eval: below the bar of {:.0} %: {}", args.min_pass * 100.0, below.join(", "));
    }
    Ok(below.is_empty())
}

fn print_table(report: &Report) {
    println!("suite {}", report.suite);
    println!("{:<36} {:>9} {:>17} {:>7} {:>11} {:>9} {:>9}", "target", "pass", "95 % interval", "judge", "$/1k cases", "p50 ms", "p95 ms");
    for t in &report.totals {
        let judge = t.judge_mean.map_or("—".into(), |j| format!("{:.2}", j));
        let ms = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.0}"));
        println!(
            "{:<36} {:>4}/{:<4} {:>6.1}–{:<5.1} % {:>7} {:>11.4} {:>9} {:>9}",
            t.target, t.passed, t.cases, t.pass_rate_low * 100.0, t.pass_rate_high * 100.0, judge, t.usd_per_1000, ms(t.p50_ms), ms(t.p95_ms)
        );
    }
    for r in report.results.iter().filter(|r| !r.passed) {
        let why = r.error.clone().unwrap_or_else(|| r.checks.iter().filter(|c| !c.passed).map(|c| format!("{}{}", c.check, c.detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())).collect::<Vec<_>>().join("; "));
        println!("  failed: {} on {}: {why}", r.case, r.target);
    }
    if let Some(rec) = &report.recommendation {
        println!("recommended: {}, {}", rec.target, rec.reason);
    }
}
