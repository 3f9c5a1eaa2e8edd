//! The cost of deciding a request by rules, in process (release build), with the code the
//! gateway runs: reading the request's facts and walking 50 rules to the last one, and the
//! difficulty score with its embedding. Prints JSON (medians) for `cargo xtask bench`.
//! The embedding model comes from `SLUICE_EMBED_MODEL_DIR`.

use serde_json::{json, Value};
use sluice_gateway::config::Config;
use sluice_gateway::embed::{Embedder, MiniLm};
use sluice_gateway::router::difficulty::DifficultyModel;
use sluice_gateway::router::rules::{Facts, Rules};
use sluice_gateway::wire::ClientApi;
use std::hint::black_box;
use std::time::Instant;

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// 50 rules of every cheap condition kind; the request matches only the last.
fn fifty_rules() -> Config {
    let mut toml = String::from("[[providers]]\nid = \"p\"\nbase_url = \"http://127.0.0.1:1/v1\"\n");
    for i in 0..49 {
        let when = match i % 7 {
            0 => format!("model = \"gpt-4*-{i}\""),
            1 => format!("tags = [\"team-{i}\"]"),
            2 => format!("model = \"auto\", text = {{ contains = [\"kubernetes-{i}\", \"terraform\"] }}"),
            3 => format!("model = \"auto\", text = {{ regex = \"(?i)invoice #{i}\\\\d+\" }}"),
            4 => format!("model = \"auto\", input_tokens = {{ min = {} }}", 100_000 + i),
            5 => format!("client = \"aider/{i}*\""),
            _ => "model = \"auto\", any = [{ tools = false }, { images = true }], not = { stream = false }".to_owned(),
        };
        toml += &format!("[[rules]]\nname = \"r{i}\"\nwhen = {{ {when} }}\nthen = {{ targets = [\"p/m{i}\"] }}\n");
    }
    toml += "[[rules]]\nname = \"last\"\nwhen = { model = \"auto\" }\nthen = { targets = [\"p/m\"] }\n";
    Config::parse_toml(&toml).expect("the bench config is valid")
}

fn main() {
    let config = fifty_rules();
    let rules = Rules::compile(&config).expect("compiles");
    let body = json!({"model": "auto", "stream": true, "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}], "messages": [
        {"role": "system", "content": "You are a careful coding assistant. ".repeat(40)},
        {"role": "user", "content": "Why does my build fail with a linker error? ".repeat(8)},
    ]});
    let body = body.as_object().expect("an object");
    let share = |_: &str| 0.0;
    let decide = || {
        let facts = Facts::read("auto", ClientApi::OpenaiChat, body, true, "claude-cli/2.1.0", "nightly", &share);
        let rule = rules.first_match(&facts, &|_| None).expect("no embedding needed").expect("the last rule matches");
        black_box(rule.name.len())
    };
    for _ in 0..1000 {
        decide();
    }
    let rule_us = median((0..20_000).map(|_| { let t = Instant::now(); decide(); t.elapsed().as_secs_f64() * 1e6 }).collect());

    let dir = std::env::var_os("SLUICE_EMBED_MODEL_DIR").expect("set SLUICE_EMBED_MODEL_DIR to the embedding model's folder");
    let model = MiniLm::load(std::path::Path::new(&dir)).expect("the model loads");
    let prompts = [
        "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:",
        "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?",
        "How do I reverse a list in Python?",
    ];
    let score = |p: &str| {
        let (v, _) = model.embed_head(p).expect("embeds");
        black_box(DifficultyModel::shipped().score(p, &v))
    };
    for p in prompts {
        score(p);
    }
    let with_embedding: Vec<f64> = (0..150).map(|i| { let t = Instant::now(); score(prompts[i % 3]); t.elapsed().as_secs_f64() * 1e3 }).collect();
    let v = model.embed(prompts[0]).expect("embeds");
    let score_only_us = median((0..20_000).map(|_| { let t = Instant::now(); black_box(DifficultyModel::shipped().score(prompts[0], &v)); t.elapsed().as_secs_f64() * 1e6 }).collect());
    let out: Value = json!({
        "rules_50_decide_us": rule_us,
        "difficulty_with_embedding_ms": median(with_embedding),
        "difficulty_score_only_us": score_only_us,
    });
    println!("{out}");
}
