//! Prompt suites for the Suites page: stored in SQLite, imported and exported as JSONL or
//! YAML, cases made from logged requests and Playground runs; runs started, followed,
//! cancelled and resumed, and a finished run's pick turned into a routing rule.

use super::super::body::read_json;
use super::super::error::ApiError;
use super::{db_error, ApiResult};
use crate::config::{RuleConfig, Then, When};
use crate::suites::store::{self as stored, Replaced, RunState};
use crate::suites::{self, CaseSpec, Item, Report, RunOptions, Suite};
use crate::wire::{self, ClientApi};
use crate::{ConfigUpdateError, Engine, Runtime};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Deserialize, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Jsonl,
    Yaml,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteBody {
    name: String,
    /// The cases as JSON objects, as in a suite file's lines.
    #[serde(default)]
    cases: Option<Vec<Value>>,
    /// Or a suite file's text, in `format`.
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    format: Format,
}

async fn body<T: serde::de::DeserializeOwned>(engine: &Engine, headers: &HeaderMap, body: Body) -> Result<T, ApiError> {
    read_json(body, headers, engine.runtime().config.server.max_body_bytes).await
}

impl SuiteBody {
    fn name(&self) -> Result<String, ApiError> {
        let name = self.name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(ApiError::invalid_param("name", "give the suite a name of 1–100 characters"));
        }
        Ok(name.to_owned())
    }

    fn items(self) -> Result<Vec<Item>, ApiError> {
        match (self.cases, self.text) {
            (Some(_), Some(_)) => Err(ApiError::invalid_param("text", "give `cases` or a file's `text`, not both")),
            (Some(cases), None) => Ok(suites::read_values(cases)),
            (None, Some(text)) => match self.format {
                Format::Jsonl => Ok(suites::read_jsonl(&text)),
                Format::Yaml => suites::read_yaml(&text).map_err(|e| ApiError::invalid_param("text", e)),
            },
            (None, None) => Ok(Vec::new()),
        }
    }
}

fn taken(name: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "invalid_request_error", format!("a suite named `{name}` exists; choose another name")).code("name_taken")
}

fn no_suite(id: i64) -> ApiError {
    ApiError::not_found(format!("no suite with id {id}"))
}

/// `GET /api/suites`.
pub async fn list(State(engine): State<Arc<Engine>>) -> ApiResult {
    let suites = engine.store.read(stored::list).await.map_err(db_error)?;
    Ok(Json(json!({ "suites": suites })))
}

/// `POST /api/suites`: a new suite, empty, from `cases`, or imported from a file's `text`. Cases
/// that cannot be read are left out and reported, each with its line, case and field.
pub async fn create(State(engine): State<Arc<Engine>>, headers: HeaderMap, raw: Body) -> ApiResult {
    let ask: SuiteBody = body(&engine, &headers, raw).await?;
    let name = ask.name()?;
    let suite = Suite::new(&name, ask.items()?);
    let specs = suite.specs;
    let named = name.clone();
    let id = engine.store.write(move |c| stored::create(c, &named, &specs)).await.map_err(db_error)?.ok_or_else(|| taken(&name))?;
    Ok(Json(json!({ "id": id, "name": name, "cases": suite.cases.len(), "problems": suite.problems })))
}

/// `GET /api/suites/{id}`: the cases, every run (oldest first) and the targets whose pass rate
/// fell since their previous run.
pub async fn get(State(engine): State<Arc<Engine>>, Path(id): Path<i64>) -> ApiResult {
    let (found, runs) = engine.store.read(move |c| Ok((stored::get(c, id)?, stored::runs(c, id)?))).await.map_err(db_error)?;
    let (name, specs) = found.ok_or_else(|| no_suite(id))?;
    let finished: Vec<(i64, &[suites::TargetTotals])> = runs.iter().filter_map(|r| Some((r.id, r.totals.as_deref()?))).collect();
    let falls = suites::falls(&finished);
    let problems = Suite::from_specs(&name, &specs).problems;
    Ok(Json(json!({ "id": id, "name": name, "cases": specs, "problems": problems, "runs": runs, "falls": falls })))
}

/// `PUT /api/suites/{id}`: renames and replaces the cases; a case that cannot run is refused
/// (naming it and its field) and nothing is saved.
pub async fn replace(State(engine): State<Arc<Engine>>, Path(id): Path<i64>, headers: HeaderMap, raw: Body) -> ApiResult {
    let ask: SuiteBody = body(&engine, &headers, raw).await?;
    let name = ask.name()?;
    let suite = Suite::new(&name, ask.items()?);
    save(&engine, id, name, suite).await?;
    Ok(Json(json!({ "saved": true })))
}

async fn save(engine: &Engine, id: i64, name: String, suite: Suite) -> Result<(), ApiError> {
    if let Some(p) = suite.problems.first() {
        return Err(ApiError::invalid_param(format!("cases[{}].{}", p.line - 1, p.field), format!("case {}: {}: {}", p.case, p.field, p.message)));
    }
    let specs = suite.specs;
    let named = name.clone();
    match engine.store.write(move |c| stored::replace(c, id, &named, &specs)).await.map_err(db_error)? {
        Replaced::Saved => Ok(()),
        Replaced::Gone => Err(no_suite(id)),
        Replaced::NameTaken => Err(taken(&name)),
    }
}

/// `DELETE /api/suites/{id}`, with its runs.
pub async fn delete(State(engine): State<Arc<Engine>>, Path(id): Path<i64>) -> ApiResult {
    let deleted = engine.store.write(move |c| stored::delete(c, id)).await.map_err(db_error)?;
    if !deleted {
        return Err(no_suite(id));
    }
    Ok(Json(json!({ "deleted": true })))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: Format,
}

/// `GET /api/suites/{id}/export?format=jsonl|yaml`: the suite as a file to keep in git.
pub async fn export(State(engine): State<Arc<Engine>>, Path(id): Path<i64>, Query(q): Query<ExportQuery>) -> Result<Response, ApiError> {
    let (name, specs) = engine.store.read(move |c| stored::get(c, id)).await.map_err(db_error)?.ok_or_else(|| no_suite(id))?;
    let (text, mime, ext) = match q.format {
        Format::Jsonl => (suites::write_jsonl(&specs), "application/x-ndjson", "jsonl"),
        Format::Yaml => (suites::write_yaml(&specs), "application/yaml", "yaml"),
    };
    let file: String = name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    Ok(([(header::CONTENT_TYPE, mime.to_owned()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.{ext}\""))], text).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddCase {
    /// A logged request to ask again (its body must have been stored).
    #[serde(default)]
    from_request: Option<String>,
    /// Or the case itself (the Playground's).
    #[serde(default)]
    case: Option<Value>,
}

/// `POST /api/suites/{id}/cases`: appends a case made from a logged request, or given.
pub async fn add_case(State(engine): State<Arc<Engine>>, Path(id): Path<i64>, headers: HeaderMap, raw: Body) -> ApiResult {
    let ask: AddCase = body(&engine, &headers, raw).await?;
    let (name, mut specs) = engine.store.read(move |c| stored::get(c, id)).await.map_err(db_error)?.ok_or_else(|| no_suite(id))?;
    let mut spec = match (ask.from_request, ask.case) {
        (Some(request), None) => from_request(&engine, &request).await?,
        (None, Some(case)) => serde_json::from_value::<CaseSpec>(case).map_err(|e| ApiError::invalid_param("case", format!("case: {e}")))?,
        _ => return Err(ApiError::invalid("give `from_request` (a logged request's id) or a `case`")),
    };
    let base = spec.id.clone().unwrap_or_else(|| format!("case-{}", specs.len() + 1));
    let unique = (1..).map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") }).find(|c| specs.iter().all(|s| s.id.as_deref() != Some(c.as_str()))).expect("some suffix is free");
    spec.id = Some(unique.clone());
    specs.push(spec.clone());
    save(&engine, id, name, Suite::from_specs("", &specs)).await?;
    Ok(Json(json!({ "case": spec })))
}

async fn from_request(engine: &Arc<Engine>, request: &str) -> Result<CaseSpec, ApiError> {
    let lookup = request.to_owned();
    let detail = engine.store.read_logged(move |c| crate::store::request_detail(c, &lookup)).await.map_err(db_error)?.ok_or_else(|| ApiError::not_found(format!("no request with id `{request}` in the log")))?;
    let raw = detail.request_body.ok_or_else(|| ApiError::invalid_param("from_request", "the log did not keep this request's body; turn on [log] store_bodies to make cases from requests"))?;
    let body: Map<String, Value> = serde_json::from_str(&raw).map_err(|_| ApiError::invalid_param("from_request", "the logged body is not a JSON object"))?;
    let api = ClientApi::parse(&detail.request.client_api).unwrap_or_default();
    let chat = wire::to_internal(api, &body, &detail.request.model_requested).map_err(|e| ApiError::invalid_param("from_request", format!("the logged request does not convert: {}: {}", e.path, e.message)))?;
    CaseSpec::from_chat(request.to_owned(), &chat).map_err(|e| ApiError::invalid_param("from_request", e))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRun {
    targets: Vec<String>,
    #[serde(default)]
    judge: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default = "default_per_provider")]
    per_provider: usize,
    #[serde(default = "default_margin")]
    margin: f64,
}

fn default_per_provider() -> usize {
    4
}

fn default_margin() -> f64 {
    0.05
}

/// `POST /api/suites/{id}/runs`: starts a run in the background; follow it at `/api/runs/{id}`.
pub async fn start_run(State(engine): State<Arc<Engine>>, Path(id): Path<i64>, headers: HeaderMap, raw: Body) -> ApiResult {
    let ask: StartRun = body(&engine, &headers, raw).await?;
    let (name, specs) = engine.store.read(move |c| stored::get(c, id)).await.map_err(db_error)?.ok_or_else(|| no_suite(id))?;
    let suite = Suite::from_specs(&name, &specs);
    if suite.cases.is_empty() {
        return Err(ApiError::invalid("the suite has no case that can run; add one"));
    }
    if ask.targets.is_empty() || ask.targets.len() > 12 {
        return Err(ApiError::invalid_param("targets", "pick 1–12 targets"));
    }
    if !(1..=64).contains(&ask.per_provider) {
        return Err(ApiError::invalid_param("per_provider", "calls at once per provider: 1–64"));
    }
    if !(0.0..=1.0).contains(&ask.margin) {
        return Err(ApiError::invalid_param("margin", "the margin is a share of the pass rate, 0–1"));
    }
    let rt = engine.runtime();
    let mut targets = ask.targets;
    if let Some(r) = ask.reference.as_ref().filter(|r| !targets.contains(r)) {
        targets.push(r.clone());
    }
    if ask.reference.is_some() && ask.judge.is_none() {
        return Err(ApiError::invalid_param("judge", "comparing with a reference needs a judge model"));
    }
    let mut prices = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        prices.insert(t.clone(), price_of(&rt, t).map_err(|e| ApiError::invalid_param(format!("targets[{i}]"), e))?);
    }
    if let Some(j) = &ask.judge {
        price_of(&rt, j).map_err(|e| ApiError::invalid_param("judge", e))?;
    }
    let options = RunOptions { targets, judge: ask.judge, reference: ask.reference, per_provider: ask.per_provider, margin: ask.margin };
    let plan = stored::Plan { suite: name, specs: suite.specs, options, prices };
    let run = engine.store.write(move |c| stored::start_run(c, id, &plan)).await.map_err(db_error)?;
    engine.suite_runs.start(engine.store.clone(), engine.loopback_client(), run);
    Ok(Json(json!({ "id": run })))
}

/// A target's price per 1M input and output tokens (the first of its route's targets), or why
/// it cannot be run: a provider that is gone or disabled.
fn price_of(rt: &Runtime, target: &str) -> Result<Option<[f64; 2]>, String> {
    if let Some((provider, _)) = target.split_once('/') {
        let known = rt.config.providers.iter().any(|p| p.id == provider) || rt.routes.route_names().any(|r| r == target);
        if !known {
            return Err(format!("`{target}`: no provider `{provider}` is configured; pick a target from the list"));
        }
    }
    let route = rt.routes.resolve(target, &rt.prices).map_err(|e| format!("`{target}`: {e}"))?;
    let first = route.targets.first().ok_or_else(|| format!("`{target}` has no target"))?;
    Ok(rt.prices.lookup(&first.provider, &first.model).map(|p| [p.input, p.output]))
}

/// `GET /api/runs/{id}`: progress, and the report on what is in so far.
pub async fn run(State(engine): State<Arc<Engine>>, Path(id): Path<i64>) -> ApiResult {
    let record = engine.store.read(move |c| stored::run(c, id)).await.map_err(db_error)?.ok_or_else(|| ApiError::not_found(format!("no suite run with id {id}")))?;
    let (report, progress) = report_of(&record);
    let models: BTreeMap<&str, &str> = record.replies.iter().filter_map(|(_, t, r)| Some((t.as_str(), r.as_ref().ok()?.model.as_deref()?))).collect();
    let plan = &record.plan;
    Ok(Json(json!({
        "id": id,
        "suite_id": record.summary.suite_id,
        "suite": plan.suite,
        "state": record.summary.state,
        "started_ms": record.summary.started_ms,
        "finished_ms": record.summary.finished_ms,
        "options": plan.options,
        "prices": plan.prices,
        "models": models,
        "progress": progress,
        "report": report,
    })))
}

/// The report on the results in so far, in case order per target, and how far the run is.
fn report_of(record: &stored::RunRecord) -> (Report, Value) {
    let plan = &record.plan;
    let suite = Suite::from_specs(&plan.suite, &plan.specs);
    let order: BTreeMap<&str, usize> = suite.cases.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
    let mut results = record.results.clone();
    let target_index = |t: &str| plan.options.targets.iter().position(|x| x == t).unwrap_or(usize::MAX);
    results.sort_by_key(|r| (target_index(&r.target), order.get(r.case.as_str()).copied().unwrap_or(usize::MAX)));
    let total = suite.cases.len() * plan.options.targets.len();
    let progress = json!({ "answered": record.replies.len(), "graded": results.len(), "total": total });
    (Report::new(&plan.suite, results, &plan.options.targets, suite.problems, plan.options.margin), progress)
}

/// `POST /api/runs/{id}/cancel`.
pub async fn cancel(State(engine): State<Arc<Engine>>, Path(id): Path<i64>) -> ApiResult {
    let cancelled = engine.suite_runs.cancel(&engine.store, id).await.map_err(db_error)?;
    Ok(Json(json!({ "cancelled": cancelled })))
}

/// `POST /api/runs/{id}/resume`: a cancelled run goes on, asking only what it lacks.
pub async fn resume(State(engine): State<Arc<Engine>>, Path(id): Path<i64>) -> ApiResult {
    let reopened = engine.store.write(move |c| stored::reopen(c, id)).await.map_err(db_error)?;
    if !reopened {
        return Err(ApiError::new(StatusCode::CONFLICT, "invalid_request_error", format!("run {id} is not cancelled; only a cancelled run can resume")));
    }
    engine.suite_runs.start(engine.store.clone(), engine.loopback_client(), id);
    Ok(Json(json!({ "resumed": true })))
}

/// `POST /api/runs/{id}/rule`: a routing rule from a finished run. Requests tagged with the
/// suite's name (`x-sluice-tags`) go to the recommended target first, then the others by pass
/// rate. It goes first in the rules (it matches only its tag, so it hides no other rule); a
/// rule of the same name is replaced.
pub async fn make_rule(State(engine): State<Arc<Engine>>, Path(id): Path<i64>) -> ApiResult {
    let record = engine.store.read(move |c| stored::run(c, id)).await.map_err(db_error)?.ok_or_else(|| ApiError::not_found(format!("no suite run with id {id}")))?;
    let conflict = |m: &str| ApiError::new(StatusCode::CONFLICT, "invalid_request_error", m.to_owned());
    if record.summary.state != RunState::Done {
        return Err(conflict("the run has not finished; a rule needs its results"));
    }
    let (report, _) = report_of(&record);
    let pick = report.recommendation.ok_or_else(|| conflict("the run recommends no target"))?;
    let mut ranked = report.totals.clone();
    ranked.sort_by(|a, b| b.pass_rate.total_cmp(&a.pass_rate));
    let rt = engine.runtime();
    let mut targets: Vec<String> = Vec::new();
    for t in std::iter::once(pick.target.as_str()).chain(ranked.iter().map(|t| t.target.as_str())) {
        // Rules name "provider/model" targets; a route or a bare model stands for its own.
        let route = rt.routes.resolve(t, &rt.prices).map_err(|e| conflict(&format!("`{t}`: {e}")))?;
        for target in route.targets.iter().map(|x| x.to_string()) {
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    let name = format!("suite:{}", record.plan.suite);
    let rule = RuleConfig { name: name.clone(), enabled: true, when: When { tags: vec![record.plan.suite.clone()], ..When::default() }, then: Then { targets, ..Then::default() } };
    let mut config = rt.config.clone();
    config.rules.retain(|r| r.name != name);
    config.rules.insert(0, rule);
    engine.update_config(config).map_err(|e| match e {
        ConfigUpdateError::Invalid(e) => ApiError::invalid_param(format!("config.{}", e.field), format!("the rule cannot be added: {e}")),
        other => ApiError::internal(other.to_string()),
    })?;
    Ok(Json(json!({ "rule": name })))
}
