//! A rule's `when`, compiled: globs and regexes built once per config, so evaluating fifty
//! rules costs microseconds. Evaluation short-circuits on the request path; `explain` runs
//! every condition and reports each one's value.

use super::facts::{Facts, Signal};
use crate::config::{FieldError, Range, TextScope, When};
use crate::wire::ClientApi;
use globset::{Glob, GlobBuilder, GlobMatcher};
use regex::Regex;
use serde::Serialize;
use serde_json::{json, Value};

/// Asked for a value only the embedding gives before it was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedsEmbedding;

#[derive(Debug, Clone)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Model(GlobMatcher),
    ClientApi(ClientApi),
    Client(GlobMatcher),
    Tags(Vec<String>),
    InputTokens(Range),
    Tools(bool),
    Images(bool),
    JsonSchema(bool),
    Stream(bool),
    Text { contains: Vec<String>, regex: Option<Regex>, scope: TextScope },
    Difficulty(Range),
    Intent(String),
    /// Minutes of the local day, `from` inclusive, `to` exclusive; wraps past midnight.
    Time { from: u32, to: u32 },
    Budget { name: String, range: Range },
}

/// One condition's outcome, for "why this route".
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub condition: String,
    pub value: Value,
    pub matched: bool,
}

/// What names in a `when` may refer to.
pub struct Names<'a> {
    pub intents: &'a [&'a str],
    pub budgets: &'a [&'a str],
}

fn bad(field: String, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

fn glob(pattern: &str, field: String, case_insensitive: bool) -> Result<GlobMatcher, FieldError> {
    if pattern.is_empty() {
        return Err(bad(field, "must not be empty; leave the condition out to match every value"));
    }
    let built = if case_insensitive { GlobBuilder::new(pattern).case_insensitive(true).build() } else { Glob::new(pattern) };
    built.map(|g| g.compile_matcher()).map_err(|e| bad(field, format!("`{pattern}` is not a valid glob: {e}")))
}

fn range(r: Range, field: String, bounds: Option<(f64, f64)>) -> Result<Range, FieldError> {
    for v in [r.min, r.max].into_iter().flatten() {
        if !v.is_finite() || bounds.is_some_and(|(lo, hi)| v < lo || v > hi) {
            let within = bounds.map(|(lo, hi)| format!(" between {lo} and {hi}")).unwrap_or_default();
            return Err(bad(field, format!("{v} is out of range; give numbers{within}")));
        }
    }
    match (r.min, r.max) {
        (None, None) => Err(bad(field, "give min, max or both")),
        (Some(min), Some(max)) if min >= max => Err(bad(field, format!("min {min} is not below max {max} (max is exclusive), so this can never match"))),
        _ => Ok(r),
    }
}

fn minute_of(hhmm: &str, field: String) -> Result<u32, FieldError> {
    let parsed = hhmm.split_once(':').and_then(|(h, m)| Some((h.parse::<u32>().ok()?, m.parse::<u32>().ok()?))).filter(|&(h, m)| h < 24 && m < 60 && hhmm.len() == 5);
    parsed.map(|(h, m)| h * 60 + m).ok_or_else(|| bad(field, format!("`{hhmm}` must be a time like \"09:30\" (24-hour, local)")))
}

impl Condition {
    /// `at` is the field path of `when`, e.g. `rules[2].when`.
    pub fn compile(w: &When, at: &str, names: &Names) -> Result<Condition, FieldError> {
        let f = |name: &str| format!("{at}.{name}");
        let mut all = Vec::new();
        if let Some(m) = &w.model {
            all.push(Condition::Model(glob(m, f("model"), false)?));
        }
        if let Some(api) = &w.client_api {
            let parsed = ClientApi::ALL.into_iter().find(|a| a.as_str() == api);
            let names = ClientApi::ALL.map(ClientApi::as_str).join(", ");
            all.push(Condition::ClientApi(parsed.ok_or_else(|| bad(f("client_api"), format!("`{api}` is not a client API; use one of {names}")))?));
        }
        if let Some(c) = &w.client {
            all.push(Condition::Client(glob(c, f("client"), true)?));
        }
        if !w.tags.is_empty() {
            all.push(Condition::Tags(w.tags.clone()));
        }
        if let Some(r) = w.input_tokens {
            all.push(Condition::InputTokens(range(r, f("input_tokens"), Some((0.0, f64::MAX)))?));
        }
        for (value, make) in [
            (w.tools, Condition::Tools as fn(bool) -> Condition),
            (w.images, Condition::Images),
            (w.json_schema, Condition::JsonSchema),
            (w.stream, Condition::Stream),
        ] {
            all.extend(value.map(make));
        }
        if let Some(t) = &w.text {
            let regex = match &t.regex {
                Some(r) => Some(Regex::new(r).map_err(|e| bad(f("text.regex"), format!("does not compile: {e}")))?),
                None => None,
            };
            if t.contains.is_empty() && regex.is_none() {
                return Err(bad(f("text"), "give `contains` (words), `regex`, or both"));
            }
            if t.contains.iter().any(String::is_empty) {
                return Err(bad(f("text.contains"), "an empty word matches every text; remove it"));
            }
            all.push(Condition::Text { contains: t.contains.iter().map(|c| c.to_lowercase()).collect(), regex, scope: t.scope });
        }
        if let Some(r) = w.difficulty {
            all.push(Condition::Difficulty(range(r, f("difficulty"), Some((0.0, 1.0)))?));
        }
        if let Some(i) = &w.intent {
            if !names.intents.contains(&i.as_str()) {
                return Err(bad(f("intent"), format!("no [[intents]] entry is named `{i}`; add one with a few example prompts")));
            }
            all.push(Condition::Intent(i.clone()));
        }
        if let Some(t) = &w.time {
            let (from, to) = (minute_of(&t.from, f("time.from"))?, minute_of(&t.to, f("time.to"))?);
            if from == to {
                return Err(bad(f("time"), "from and to are the same time, so this can never match"));
            }
            all.push(Condition::Time { from, to });
        }
        if let Some(b) = &w.budget {
            if !names.budgets.contains(&b.name.as_str()) {
                return Err(bad(f("budget.name"), format!("no [[budgets]] entry is named `{}`", b.name)));
            }
            let r = range(Range { min: b.min, max: b.max }, f("budget"), Some((0.0, f64::MAX)))?;
            all.push(Condition::Budget { name: b.name.clone(), range: r });
        }
        for (i, c) in w.all.iter().enumerate() {
            all.push(Condition::compile(c, &format!("{at}.all[{i}]"), names)?);
        }
        if !w.any.is_empty() {
            let any = w.any.iter().enumerate().map(|(i, c)| Condition::compile(c, &format!("{at}.any[{i}]"), names)).collect::<Result<_, _>>()?;
            all.push(Condition::Any(any));
        }
        if let Some(n) = &w.not {
            if **n == When::default() {
                return Err(bad(f("not"), "an empty `not` never matches; give it conditions"));
            }
            all.push(Condition::Not(Box::new(Condition::compile(n, &f("not"), names)?)));
        }
        Ok(if all.len() == 1 { all.pop().expect("one") } else { Condition::All(all) })
    }

    /// Holds for every request (a `when` with no conditions).
    pub fn always(&self) -> bool {
        matches!(self, Condition::All(c) if c.is_empty())
    }

    /// Whether the request meets it, stopping at the first condition that fails.
    pub fn holds(&self, facts: &Facts) -> Result<bool, NeedsEmbedding> {
        match self {
            Condition::All(cs) => {
                for c in cs {
                    if !c.holds(facts)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Condition::Any(cs) => {
                for c in cs {
                    if c.holds(facts)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Condition::Not(c) => Ok(!c.holds(facts)?),
            leaf => leaf.test(facts).map(|(matched, _)| matched),
        }
    }

    /// Every condition's outcome, in order; signals must be known or unavailable by now.
    pub fn explain(&self, facts: &Facts, out: &mut Vec<Check>) -> bool {
        match self {
            // Every condition runs (no short circuit), so each one's value is shown.
            Condition::All(cs) => {
                let mut matched = true;
                for c in cs {
                    matched &= c.explain(facts, out);
                }
                matched
            }
            Condition::Any(cs) => {
                let mut inner = Vec::new();
                let mut matched = false;
                for c in cs {
                    matched |= c.explain(facts, &mut inner);
                }
                out.push(Check { condition: "any of".into(), value: json!(inner), matched });
                matched
            }
            Condition::Not(c) => {
                let mut inner = Vec::new();
                let matched = !c.explain(facts, &mut inner);
                out.push(Check { condition: "none of".into(), value: json!(inner), matched });
                matched
            }
            leaf => {
                let (matched, value) = leaf.test(facts).unwrap_or((false, json!("not computed")));
                out.push(Check { condition: leaf.describe(), value, matched });
                matched
            }
        }
    }

    /// A leaf's outcome and the request's value it looked at.
    fn test(&self, f: &Facts) -> Result<(bool, Value), NeedsEmbedding> {
        let within = |r: &Range, v: f64| r.min.is_none_or(|m| v >= m) && r.max.is_none_or(|m| v < m);
        Ok(match self {
            Condition::Model(g) => (g.is_match(f.model), json!(f.model)),
            Condition::ClientApi(api) => (*api == f.api, json!(f.api.as_str())),
            Condition::Client(g) => (g.is_match(f.user_agent), json!(f.user_agent)),
            Condition::Tags(want) => (want.iter().all(|t| f.tags.contains(&t.as_str())), json!(f.tags)),
            Condition::InputTokens(r) => (within(r, f.input_tokens as f64), json!(f.input_tokens)),
            Condition::Tools(b) => (f.tools == *b, json!(f.tools)),
            Condition::Images(b) => (f.images == *b, json!(f.images)),
            Condition::JsonSchema(b) => (f.json_schema == *b, json!(f.json_schema)),
            Condition::Stream(b) => (f.stream == *b, json!(f.stream)),
            Condition::Text { contains, regex, scope } => {
                let texts: &[&str] = match scope {
                    TextScope::User => &[&f.user_text],
                    TextScope::System => &[&f.system_text],
                    TextScope::Any => &[&f.user_text, &f.system_text],
                };
                let lower: Vec<String> = if contains.is_empty() { Vec::new() } else { texts.iter().map(|t| t.to_lowercase()).collect() };
                let word = contains.iter().find(|w| lower.iter().any(|t| t.contains(w.as_str())));
                let found = regex.as_ref().and_then(|r| texts.iter().find_map(|t| r.find(t))).map(|m| m.as_str().to_owned());
                let matched = (contains.is_empty() || word.is_some()) && (regex.is_none() || found.is_some());
                (matched, json!({ "word": word, "regex_match": found }))
            }
            Condition::Difficulty(r) => match &f.difficulty {
                Signal::Pending => return Err(NeedsEmbedding),
                Signal::Unavailable(why) => (false, json!(why)),
                Signal::Known(d) => (within(r, *d as f64), json!(d)),
            },
            Condition::Intent(name) => match &f.intent {
                Signal::Pending => return Err(NeedsEmbedding),
                Signal::Unavailable(why) => (false, json!(why)),
                Signal::Known(got) => (got.as_ref().is_some_and(|i| i.is(name)), json!(got)),
            },
            Condition::Time { from, to } => {
                let now = local_minute();
                let matched = if from < to { (*from..*to).contains(&now) } else { now >= *from || now < *to };
                (matched, json!(format!("{:02}:{:02}", now / 60, now % 60)))
            }
            Condition::Budget { name, range } => {
                let share = (f.budget_share)(name);
                (within(range, share), json!(share))
            }
            Condition::All(_) | Condition::Any(_) | Condition::Not(_) => unreachable!("combinators are evaluated by holds/explain"),
        })
    }

    fn describe(&self) -> String {
        let span = |r: &Range| match (r.min, r.max) {
            (Some(a), Some(b)) => format!("in [{a}, {b})"),
            (Some(a), None) => format!("≥ {a}"),
            (None, Some(b)) => format!("< {b}"),
            (None, None) => "any".into(),
        };
        match self {
            Condition::Model(g) => format!("model matches {}", g.glob()),
            Condition::ClientApi(api) => format!("client API is {}", api.as_str()),
            Condition::Client(g) => format!("User-Agent matches {}", g.glob()),
            Condition::Tags(t) => format!("tags include {}", t.join(", ")),
            Condition::InputTokens(r) => format!("input tokens {}", span(r)),
            Condition::Tools(b) => format!("has tools: {b}"),
            Condition::Images(b) => format!("has images: {b}"),
            Condition::JsonSchema(b) => format!("asks for a JSON schema: {b}"),
            Condition::Stream(b) => format!("streams: {b}"),
            Condition::Text { contains, regex, scope } => {
                let what = [(!contains.is_empty()).then(|| format!("contains {}", contains.join(" | "))), regex.as_ref().map(|r| format!("matches /{r}/"))];
                format!("{} text {}", format!("{scope:?}").to_lowercase(), what.into_iter().flatten().collect::<Vec<_>>().join(" and "))
            }
            Condition::Difficulty(r) => format!("difficulty {}", span(r)),
            Condition::Intent(i) => format!("intent is {i}"),
            Condition::Time { from, to } => format!("local time in {:02}:{:02}–{:02}:{:02}", from / 60, from % 60, to / 60, to % 60),
            Condition::Budget { name, range } => format!("budget {name} used {}", span(range)),
            Condition::All(_) | Condition::Any(_) | Condition::Not(_) => String::new(),
        }
    }

    /// Whether evaluating it may need the embedding (difficulty or intent).
    pub fn uses_embedding(&self) -> bool {
        match self {
            Condition::All(cs) | Condition::Any(cs) => cs.iter().any(Condition::uses_embedding),
            Condition::Not(c) => c.uses_embedding(),
            Condition::Difficulty(_) | Condition::Intent(_) => true,
            _ => false,
        }
    }
}

fn local_minute() -> u32 {
    use chrono::Timelike;
    let now = chrono::Local::now();
    now.hour() * 60 + now.minute()
}
